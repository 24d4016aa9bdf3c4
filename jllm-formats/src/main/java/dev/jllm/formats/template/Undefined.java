package dev.jllm.formats.template;

/**
 * Jinja2's default (lenient) undefined value: renders as the empty string, is falsy, iterates as
 * empty, and raises {@code UndefinedError} with its message when used in any other way.
 */
final class Undefined {
    private final String message;
    private final String kind;

    private Undefined(String message) {
        this(message, "UndefinedError");
    }

    private Undefined(String message, String kind) {
        this.message = message;
        this.kind = kind;
    }

    /** What the sandbox gives for an attribute it refuses (list.append, dict.update…): raises SecurityError when used. */
    static Undefined unsafe(Object owner, String name) {
        return new Undefined("access to attribute " + PyText.repr(name) + " of " + PyText.repr(PyText.typeName(owner))
                + " object is unsafe.", "SecurityError");
    }

    /** A variable that no scope defines. */
    static Undefined named(String name) {
        return new Undefined(PyText.repr(name) + " is undefined");
    }

    /** A missing attribute or item {@code key} of {@code owner}. */
    static Undefined member(Object owner, Object key) {
        String type = PyText.typeReprForMissing(owner);
        if (key instanceof String s) {
            return new Undefined(PyText.repr(type) + " has no attribute " + PyText.repr(s));
        }
        return new Undefined(type + " has no element " + PyText.repr(key));
    }

    /** An undefined value with a message of its own. */
    static Undefined hint(String message) {
        return new Undefined(message);
    }

    /** The error using this value raises. */
    TemplateException error() {
        return new TemplateException(kind, message, 0, 0);
    }

    @Override
    public String toString() {
        return "";
    }
}
