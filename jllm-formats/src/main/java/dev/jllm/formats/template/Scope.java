package dev.jllm.formats.template;

import java.util.HashMap;
import java.util.Map;

/** One level of variables: the globals, the caller's variables, the template, a loop iteration, a macro call. */
final class Scope {
    /** What {@link #lookup} returns for a name no level defines. */
    static final Object MISSING = new Object();

    private final Scope parent;
    private final Map<String, Object> vars = new HashMap<>();

    Scope(Scope parent) {
        this.parent = parent;
    }

    Object lookup(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            Object v = s.vars.getOrDefault(name, MISSING);
            if (v != MISSING) {
                return v;
            }
        }
        return MISSING;
    }

    void set(String name, Object value) {
        vars.put(name, value);
    }
}
