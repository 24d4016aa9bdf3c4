package dev.jllm.formats.template;

import java.util.List;
import java.util.Map;

/** The arguments of one call to a built-in filter, test, method or global, read by position or keyword as Python would. */
final class Args {
    /** Marks a parameter without a default value. */
    static final Object REQUIRED = new Object();

    private final String function;
    private final List<Object> positional;
    private final Map<String, Object> keywords;

    Args(String function, List<Object> positional, Map<String, Object> keywords) {
        this.function = function;
        this.positional = positional;
        this.keywords = keywords;
    }

    /** Parameter {@code index} (after the value a filter applies to), or keyword {@code name}, or {@code otherwise}. */
    Object get(int index, String name, Object otherwise) {
        if (index < positional.size()) {
            return positional.get(index);
        }
        if (name != null && keywords.containsKey(name)) {
            return keywords.get(name);
        }
        if (otherwise == REQUIRED) {
            throw TemplateException.type(function + "() missing required argument '" + name + "'");
        }
        return otherwise;
    }

    String string(int index, String name, String otherwise) {
        Object v = get(index, name, otherwise);
        if (v instanceof Undefined u) {
            throw u.error();
        }
        String s = PyOps.text(v);
        if (s == null && v != null) {
            throw TemplateException.type("must be str, not " + PyText.typeName(v));
        }
        return s;
    }

    long integer(int index, String name, long otherwise) {
        Object v = get(index, name, otherwise);
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (!(v instanceof Long || v instanceof Boolean)) {
            throw TemplateException.type(function + "() argument '" + name + "' must be int, not " + PyText.typeName(v));
        }
        return PyOps.asLong(v);
    }

    boolean flag(int index, String name, boolean otherwise) {
        return PyOps.truthy(get(index, name, otherwise));
    }

    int size() {
        return positional.size();
    }

    List<Object> positional() {
        return positional;
    }

    Map<String, Object> keywords() {
        return keywords;
    }

    /** Rejects more than {@code max} positional arguments and keywords outside {@code allowed}. */
    Args check(int max, String... allowed) {
        if (positional.size() > max) {
            throw TemplateException.type(function + "() takes at most " + max + " argument(s) (" + positional.size() + " given)");
        }
        outer:
        for (String k : keywords.keySet()) {
            for (String a : allowed) {
                if (a.equals(k)) {
                    continue outer;
                }
            }
            throw TemplateException.type(function + "() got an unexpected keyword argument '" + k + "'");
        }
        return this;
    }
}
