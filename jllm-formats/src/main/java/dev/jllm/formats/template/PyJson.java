package dev.jllm.formats.template;

import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} as Hugging Face's {@code tojson} filter calls it: {@code ensure_ascii},
 * {@code indent}, {@code separators}, {@code sort_keys}; keys and floats formatted as Python does.
 */
final class PyJson {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final StringBuilder sb = new StringBuilder();

    private PyJson(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
    }

    /** {@code json.dumps(value, ...)}; {@code indent} is null, a number of spaces or a string. */
    static String dumps(Object value, boolean ensureAscii, Object indent, List<?> separators, boolean sortKeys) {
        String ind = null;
        if (indent instanceof Long || indent instanceof Boolean) {
            ind = " ".repeat((int) Math.max(0, Math.min(PyOps.asLong(indent), 1000)));
        } else if (PyOps.isString(indent)) {
            ind = PyOps.text(indent);
        } else if (indent instanceof Undefined u) {
            throw u.error();
        } else if (indent != null) {
            throw TemplateException.type("indent must be an int or a str, not " + PyText.typeName(indent));
        }
        String item = ind == null ? ", " : ",";
        String key = ": ";
        if (separators != null) {
            if (separators.size() != 2 || !PyOps.isString(separators.get(0)) || !PyOps.isString(separators.get(1))) {
                throw TemplateException.value("separators must be a pair of strings");
            }
            item = PyOps.text(separators.get(0));
            key = PyOps.text(separators.get(1));
        }
        PyJson json = new PyJson(ensureAscii, ind, item, key, sortKeys);
        json.write(value, 0);
        return json.sb.toString();
    }

    private void newline(int level) {
        if (indent != null) {
            sb.append('\n');
            for (int i = 0; i < level; i++) {
                sb.append(indent);
            }
        }
    }

    private void write(Object v, int level) {
        if (level > 100) {
            throw new TemplateException("RecursionError", "maximum recursion depth exceeded while encoding a JSON object", 0, 0);
        }
        if (sb.length() > PyOps.MAX_SEQUENCE) {
            throw TemplateException.limit("JSON longer than " + PyOps.MAX_SEQUENCE + " characters");
        }
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            sb.append(l);
        } else if (v instanceof Double d) {
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : PyText.floatRepr(d));
        } else if (PyOps.isString(v)) {
            string(PyOps.text(v));
        } else if (v instanceof List<?> list && !(v instanceof DictView)) {
            if (list.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    sb.append(itemSeparator);
                }
                newline(level + 1);
                write(list.get(i), level + 1);
            }
            newline(level);
            sb.append(']');
        } else if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append('{');
            List<? extends Map.Entry<?, ?>> entries = List.copyOf(map.entrySet());
            if (sortKeys) {
                entries = entries.stream().sorted((a, b) -> PyOps.compare(a.getKey(), b.getKey(), "<")).toList();
            }
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) {
                    sb.append(itemSeparator);
                }
                first = false;
                newline(level + 1);
                string(key(e.getKey()));
                sb.append(keySeparator);
                write(e.getValue(), level + 1);
            }
            newline(level);
            sb.append('}');
        } else {
            throw TemplateException.type("Object of type " + PyText.typeName(v) + " is not JSON serializable");
        }
    }

    private static String key(Object k) {
        if (PyOps.isString(k)) {
            return PyOps.text(k);
        }
        if (k == null) {
            return "null";
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k instanceof Long || k instanceof Double) {
            return PyText.str(k);
        }
        throw TemplateException.type("keys must be str, int, float, bool or None, not " + PyText.typeName(k));
    }

    private void string(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7f)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
