package dev.jllm.formats.template;

/**
 * A chat template that cannot be parsed or rendered: a syntax error, an undefined value used where a
 * value is needed, a type error, a {@code raise_exception(...)} from the template itself, or a limit
 * (output size, loop steps, recursion) the renderer enforces. The only exception type the parser and
 * renderer throw.
 */
public final class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The Python/Jinja2 exception class raising this error: {@code TemplateSyntaxError}, {@code UndefinedError}, {@code TypeError}, … */
    private final String kind;
    private final String detail;
    private final int line;
    private final int column;

    TemplateException(String kind, String detail, int line, int column) {
        super(format(kind, detail, line, column));
        this.kind = kind;
        this.detail = detail;
        this.line = line;
        this.column = column;
    }

    static TemplateException syntax(String detail, int line, int column) {
        return new TemplateException("TemplateSyntaxError", detail, line, column);
    }

    static TemplateException assertion(String detail, int line, int column) {
        return new TemplateException("TemplateAssertionError", detail, line, column);
    }

    static TemplateException undefined(String detail) {
        return new TemplateException("UndefinedError", detail, 0, 0);
    }

    static TemplateException type(String detail) {
        return new TemplateException("TypeError", detail, 0, 0);
    }

    static TemplateException value(String detail) {
        return new TemplateException("ValueError", detail, 0, 0);
    }

    static TemplateException limit(String detail) {
        return new TemplateException("LimitExceeded", detail, 0, 0);
    }

    /** The same error placed at {@code line} when it has no place yet. */
    TemplateException at(int atLine) {
        return line > 0 || atLine <= 0 ? this : new TemplateException(kind, detail, atLine, 0);
    }

    private static String format(String kind, String detail, int line, int column) {
        String where = line <= 0 ? "" : column > 0 ? " (line " + line + ", column " + column + ")" : " (line " + line + ")";
        return ("TemplateError".equals(kind) ? detail : kind + ": " + detail) + where;
    }

    /** The Python exception class name Jinja2 would raise, e.g. {@code UndefinedError}; {@code TemplateError} for {@code raise_exception}. */
    public String kind() {
        return kind;
    }

    /** The message without the kind and place. */
    public String detail() {
        return detail;
    }

    /**
     * The error as Hugging Face's renderer reports it: {@code raise_exception}'s message as given,
     * any other error as {@code Kind: message}.
     */
    public String jinjaMessage() {
        return "TemplateError".equals(kind) ? detail : kind + ": " + detail;
    }

    /** 1-based line of the template where the error was found; 0 when unknown. */
    public int line() {
        return line;
    }

    /** 1-based column for syntax errors; 0 when unknown. */
    public int column() {
        return column;
    }
}
