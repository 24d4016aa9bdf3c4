package dev.jllm.formats.template;

/** One lexical unit of a template: text between tags, a tag delimiter, or a name, literal or operator inside a tag. */
record Token(Kind kind, String text, Object value, int line, int column) {
    enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF }

    boolean is(Kind k, String t) {
        return kind == k && text.equals(t);
    }

    boolean isOperator(String t) {
        return kind == Kind.OPERATOR && text.equals(t);
    }

    boolean isName(String t) {
        return kind == Kind.NAME && text.equals(t);
    }

    /** How a message names this token. */
    String describe() {
        return switch (kind) {
            case EOF -> "end of template";
            case VAR_END, BLOCK_END, VAR_BEGIN, BLOCK_BEGIN, OPERATOR -> "'" + text + "'";
            case TEXT -> "template data";
            default -> kind.name().toLowerCase(java.util.Locale.ROOT) + " '" + text + "'";
        };
    }
}
