package dev.jllm.eval.task;

/** Python's {@code str.strip()}, which the harness's templates apply to questions. */
final class PythonText {
    private PythonText() {
    }

    /** {@code s} without leading and trailing characters that Python's {@code str.isspace()} accepts. */
    static String strip(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u001c' || c == '\u001d'
                || c == '\u001e' || c == '\u001f' || c == '\u0085';
    }
}
