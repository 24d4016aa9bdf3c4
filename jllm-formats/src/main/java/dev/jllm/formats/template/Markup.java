package dev.jllm.formats.template;

/**
 * A string marked safe ({@code |safe}, {@code |escape}): renders as is, but concatenating a plain
 * string to it with {@code +} HTML-escapes that string, as Python's markupsafe does.
 */
record Markup(String text) {
    /** markupsafe's escape: {@code & < > " '}. */
    static String escape(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String rep = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&#34;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (rep != null && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (sb != null) {
                if (rep != null) {
                    sb.append(rep);
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** {@code value} as markup: unchanged when it already is, escaped otherwise. */
    static Markup of(Object value) {
        return value instanceof Markup m ? m : new Markup(escape(PyText.str(value)));
    }

    @Override
    public String toString() {
        return text;
    }
}
