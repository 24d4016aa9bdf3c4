package dev.jllm.formats.template;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Splits a template into tokens as Jinja2 does with Hugging Face's settings: {@code trim_blocks}
 * (the newline after a block or comment tag goes), {@code lstrip_blocks} (spaces and tabs before a
 * block or comment tag on its own line go), {@code -}/{@code +} whitespace control, newlines
 * normalised to {@code \n}, and one trailing newline dropped.
 */
final class Lexer {
    private static final String[] OPERATORS = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]",
        "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

    private final String src;
    /** Offsets where lines begin, for token positions. */
    private final int[] lineStarts;
    private final int lineCount;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;

    private Lexer(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        this.src = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        int[] starts = new int[16];
        int n = 0;
        starts[n++] = 0;
        for (int i = 0; i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                if (n == starts.length) {
                    starts = java.util.Arrays.copyOf(starts, n * 2);
                }
                starts[n++] = i + 1;
            }
        }
        this.lineStarts = starts;
        this.lineCount = n;
    }

    /** The tokens of {@code source}, ending with an EOF token. */
    static List<Token> tokenize(String source) {
        Lexer lx = new Lexer(source);
        lx.run();
        return lx.tokens;
    }

    private TemplateException error(String message, int at) {
        return TemplateException.syntax(message, lineAt(at), columnAt(at));
    }

    private int lineAt(int at) {
        int k = java.util.Arrays.binarySearch(lineStarts, 0, lineCount, at);
        return k >= 0 ? k + 1 : -k - 1;
    }

    private int columnAt(int at) {
        return at - lineStarts[lineAt(at) - 1] + 1;
    }

    private void add(Token.Kind kind, String text, Object value, int at) {
        tokens.add(new Token(kind, text, value, lineAt(at), columnAt(at)));
    }

    private void run() {
        while (pos < src.length()) {
            int tag = nextTag(pos);
            String text = src.substring(pos, tag < 0 ? src.length() : tag);
            if (tag < 0) {
                addText(text, pos);
                pos = src.length();
                break;
            }
            char type = src.charAt(tag + 1);
            char control = tag + 2 < src.length() ? src.charAt(tag + 2) : 0;
            if (control == '-') {
                text = PyStrings.strip(text, null, false, true);
            } else if (control != '+' && type != '{') {
                int lpos = text.lastIndexOf('\n') + 1;
                boolean lineStart = lpos > 0 || pos == 0 || src.charAt(pos - 1) == '\n';
                if (lineStart && text.substring(lpos).chars().allMatch(c -> c == ' ' || c == '\t')) {
                    text = text.substring(0, lpos);
                }
            }
            addText(text, pos);
            int body = tag + 2 + (control == '-' || control == '+' ? 1 : 0);
            if (type == '#') {
                comment(tag, body);
            } else if (type == '%' && rawBlock(tag, body)) {
                continue;
            } else {
                tag(type == '{', tag, body);
            }
        }
        add(Token.Kind.EOF, "", null, src.length());
    }

    private void addText(String text, int at) {
        if (!text.isEmpty()) {
            add(Token.Kind.TEXT, text, text, at);
        }
    }

    private int nextTag(int from) {
        int i = from;
        while (true) {
            i = src.indexOf('{', i);
            if (i < 0 || i + 1 >= src.length()) {
                return -1;
            }
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i++;
        }
    }

    private void comment(int tag, int body) {
        int end = src.indexOf("#}", body);
        if (end < 0) {
            throw error("Missing end of comment tag", tag);
        }
        char control = end > body ? src.charAt(end - 1) : 0;
        pos = afterTagEnd(end + 2, control, true);
    }

    // where text resumes after a tag end at `after`: -X} eats all whitespace; with trim_blocks a block or comment end eats one newline
    private int afterTagEnd(int after, char control, boolean block) {
        if (control == '-') {
            while (after < src.length() && PyStrings.isSpace(src.charAt(after))) {
                after++;
            }
        } else if (control != '+' && block && after < src.length() && src.charAt(after) == '\n') {
            after++;
        }
        return after;
    }

    // {% raw %}...{% endraw %}: the text in between is output as is
    private boolean rawBlock(int tag, int body) {
        int i = skipSpaces(body);
        if (!src.startsWith("raw", i)) {
            return false;
        }
        i = skipSpaces(i + 3);
        char control = i < src.length() ? src.charAt(i) : 0;
        int close = control == '-' || control == '+' ? i + 1 : i;
        if (!src.startsWith("%}", close)) {
            return false;
        }
        int textStart = afterTagEnd(close + 2, control, true);
        int search = textStart;
        while (true) {
            int t = src.indexOf("{%", search);
            if (t < 0) {
                throw error("Missing end of raw directive", tag);
            }
            char c2 = t + 2 < src.length() ? src.charAt(t + 2) : 0;
            int j = skipSpaces(t + 2 + (c2 == '-' || c2 == '+' ? 1 : 0));
            if (src.startsWith("endraw", j)) {
                int k = skipSpaces(j + 6);
                char ctl = k < src.length() ? src.charAt(k) : 0;
                int endClose = ctl == '-' || ctl == '+' ? k + 1 : k;
                if (src.startsWith("%}", endClose)) {
                    String text = src.substring(textStart, t);
                    if (c2 == '-') {
                        text = PyStrings.strip(text, null, false, true);
                    }
                    addText(text, textStart);
                    pos = afterTagEnd(endClose + 2, ctl, true);
                    return true;
                }
            }
            search = t + 2;
        }
    }

    private int skipSpaces(int i) {
        while (i < src.length() && PyStrings.isSpace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    private void tag(boolean variable, int tag, int body) {
        add(variable ? Token.Kind.VAR_BEGIN : Token.Kind.BLOCK_BEGIN, variable ? "{{" : "{%", null, tag);
        String close = variable ? "}}" : "%}";
        Deque<Character> open = new ArrayDeque<>();
        int i = body;
        while (true) {
            i = skipSpaces(i);
            if (i >= src.length()) {
                throw error("unexpected end of template, expected '" + close + "'", tag);
            }
            if (open.isEmpty()) {
                char c = src.charAt(i);
                int end = -1;
                char control = 0;
                if ((c == '-' || c == '+') && src.startsWith(close, i + 1)) {
                    end = i + 3;
                    control = c;
                } else if (src.startsWith(close, i)) {
                    end = i + 2;
                }
                if (end >= 0) {
                    add(variable ? Token.Kind.VAR_END : Token.Kind.BLOCK_END, close, null, i);
                    pos = afterTagEnd(end, control, !variable);
                    return;
                }
            }
            i = exprToken(i, open);
        }
    }

    private int exprToken(int i, Deque<Character> open) {
        char c = src.charAt(i);
        if (c == '\'' || c == '"') {
            return string(i, c);
        }
        if (Character.isDigit(c)) {
            return number(i);
        }
        if (Character.isLetter(c) || c == '_') {
            int j = i;
            while (j < src.length() && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_')) {
                j++;
            }
            add(Token.Kind.NAME, src.substring(i, j), null, i);
            return j;
        }
        for (String op : OPERATORS) {
            if (src.startsWith(op, i)) {
                if (op.equals("(") || op.equals("[") || op.equals("{")) {
                    open.push(op.charAt(0));
                } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    char expected = op.equals(")") ? '(' : op.equals("]") ? '[' : '{';
                    if (open.isEmpty()) {
                        throw error("unexpected '" + op + "'", i);
                    }
                    if (open.peek() != expected) {
                        throw error("unexpected '" + op + "', expected '" + closer(open.peek()) + "'", i);
                    }
                    open.pop();
                }
                add(Token.Kind.OPERATOR, op, null, i);
                return i + op.length();
            }
        }
        throw error("unexpected char " + PyText.repr(String.valueOf(c)) + " at " + i, i);
    }

    private static char closer(char open) {
        return open == '(' ? ')' : open == '[' ? ']' : '}';
    }

    private int number(int i) {
        int j = digits(i);
        boolean after = i > 0 && src.charAt(i - 1) == '.';
        boolean isFloat = false;
        if (!after && j + 1 < src.length() && src.charAt(j) == '.' && Character.isDigit(src.charAt(j + 1))) {
            j = digits(j + 1);
            isFloat = true;
        }
        if (!after && j < src.length() && (src.charAt(j) == 'e' || src.charAt(j) == 'E')) {
            int k = j + 1;
            if (k < src.length() && (src.charAt(k) == '+' || src.charAt(k) == '-')) {
                k++;
            }
            if (k < src.length() && Character.isDigit(src.charAt(k))) {
                j = digits(k);
                isFloat = true;
            }
        }
        String text = src.substring(i, j);
        String clean = text.replace("_", "");
        if (isFloat) {
            add(Token.Kind.FLOAT, text, Double.parseDouble(clean), i);
        } else {
            try {
                add(Token.Kind.INTEGER, text, Long.parseLong(clean), i);
            } catch (NumberFormatException e) {
                throw error("integer literal too large: " + text, i);
            }
        }
        return j;
    }

    private int digits(int i) {
        int j = i;
        while (j < src.length() && (Character.isDigit(src.charAt(j)) && src.charAt(j) < 128
                || (src.charAt(j) == '_' && j + 1 < src.length() && Character.isDigit(src.charAt(j + 1))))) {
            j++;
        }
        return j;
    }

    private int string(int start, char quote) {
        StringBuilder sb = new StringBuilder();
        int i = start + 1;
        while (true) {
            if (i >= src.length()) {
                throw error("unexpected end of string literal", start);
            }
            char c = src.charAt(i);
            if (c == quote) {
                add(Token.Kind.STRING, src.substring(start, i + 1), sb.toString(), start);
                return i + 1;
            }
            if (c != '\\') {
                sb.append(c);
                i++;
                continue;
            }
            if (i + 1 >= src.length()) {
                throw error("unexpected end of string literal", start);
            }
            i = escape(sb, i + 1);
        }
    }

    // Python's unicode-escape decoding of one escape after a backslash; unknown escapes stay as written
    private int escape(StringBuilder sb, int i) {
        char e = src.charAt(i);
        switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'v' -> sb.append('\u000b');
            case 'a' -> sb.append('\u0007');
            case '\\', '\'', '"' -> sb.append(e);
            case '\n' -> {
                // a backslash before a newline joins the lines
            }
            case 'x', 'u', 'U' -> {
                int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                String hex = src.substring(i + 1, Math.min(src.length(), i + 1 + n));
                if (hex.length() < n || !hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                    throw error("truncated \\" + e + " escape", i);
                }
                int cp = Integer.parseInt(hex, 16);
                if (!Character.isValidCodePoint(cp)) {
                    throw error("illegal Unicode character", i);
                }
                sb.appendCodePoint(cp);
                return i + 1 + n;
            }
            default -> {
                if (e >= '0' && e <= '7') {
                    int j = i;
                    int v = 0;
                    while (j < src.length() && j < i + 3 && src.charAt(j) >= '0' && src.charAt(j) <= '7') {
                        v = v * 8 + (src.charAt(j) - '0');
                        j++;
                    }
                    sb.appendCodePoint(v);
                    return j;
                }
                sb.append('\\').append(e);
            }
        }
        return i + 1;
    }
}
