package dev.jllm.formats.template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Python's {@code str} algorithms on code points: strip, split, splitlines, title, replace, padding. */
final class PyStrings {
    private PyStrings() {
    }

    /** Python's {@code str.isspace} for one code point. */
    static boolean isSpace(int cp) {
        if ((cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0) {
            return true;
        }
        int t = Character.getType(cp);
        return t == Character.SPACE_SEPARATOR || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR;
    }

    /** {@code strip}/{@code lstrip}/{@code rstrip}; {@code chars == null} strips whitespace. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end) {
                int cp = s.codePointAt(start);
                if (!(chars == null ? isSpace(cp) : chars.indexOf(Character.toString(cp)) >= 0)) {
                    break;
                }
                start += Character.charCount(cp);
            }
        }
        if (right) {
            while (end > start) {
                int cp = s.codePointBefore(end);
                if (!(chars == null ? isSpace(cp) : chars.indexOf(Character.toString(cp)) >= 0)) {
                    break;
                }
                end -= Character.charCount(cp);
            }
        }
        return s.substring(start, end);
    }

    /** {@code split(sep, maxsplit)} or {@code rsplit}; {@code sep == null} splits on runs of whitespace. */
    static List<Object> split(String s, String sep, long maxsplit, boolean fromRight) {
        List<Object> out = new ArrayList<>();
        long limit = maxsplit < 0 ? Long.MAX_VALUE : maxsplit;
        if (sep == null) {
            String rest = fromRight ? strip(s, null, false, true) : strip(s, null, true, false);
            if (fromRight) {
                int end = rest.length();
                while (end > 0) {
                    if (out.size() == limit) {
                        out.add(strip(rest.substring(0, end), null, false, true));
                        break;
                    }
                    int i = end;
                    while (i > 0 && !isSpace(rest.codePointBefore(i))) {
                        i -= Character.charCount(rest.codePointBefore(i));
                    }
                    out.add(rest.substring(i, end));
                    end = i;
                    while (end > 0 && isSpace(rest.codePointBefore(end))) {
                        end -= Character.charCount(rest.codePointBefore(end));
                    }
                }
                Collections.reverse(out);
            } else {
                int start = 0;
                while (start < rest.length()) {
                    if (out.size() == limit) {
                        out.add(strip(rest.substring(start), null, true, true));
                        break;
                    }
                    int i = start;
                    while (i < rest.length() && !isSpace(rest.codePointAt(i))) {
                        i += Character.charCount(rest.codePointAt(i));
                    }
                    out.add(rest.substring(start, i));
                    start = i;
                    while (start < rest.length() && isSpace(rest.codePointAt(start))) {
                        start += Character.charCount(rest.codePointAt(start));
                    }
                }
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw TemplateException.value("empty separator");
        }
        if (fromRight) {
            int end = s.length();
            while (out.size() < limit) {
                int at = s.lastIndexOf(sep, end - sep.length());
                if (at < 0 || end - sep.length() < 0) {
                    break;
                }
                out.add(s.substring(at + sep.length(), end));
                end = at;
            }
            out.add(s.substring(0, end));
            Collections.reverse(out);
        } else {
            int start = 0;
            while (out.size() < limit) {
                int at = s.indexOf(sep, start);
                if (at < 0) {
                    break;
                }
                out.add(s.substring(start, at));
                start = at + sep.length();
            }
            out.add(s.substring(start));
        }
        return out;
    }

    private static boolean lineBreak(char c) {
        return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x85
                || c == 0x2028 || c == 0x2029;
    }

    /** Python's {@code splitlines(keepends)}. */
    static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (lineBreak(c)) {
                int next = c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n' ? i + 2 : i + 1;
                out.add(s.substring(start, keepends ? next : i));
                start = next;
                i = next;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** Python's {@code str.title}: a letter after a letter is lowered, any other letter is upper-cased. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            if (cased) {
                sb.append(prevCased ? Character.toString(cp).toLowerCase(Locale.ROOT) : Character.toString(Character.toTitleCase(cp)));
            } else {
                sb.appendCodePoint(cp);
            }
            prevCased = cased;
        }
        return sb.toString();
    }

    /** Python's {@code str.capitalize}: first character title-cased, the rest lowered. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int cp = s.codePointAt(0);
        return Character.toString(Character.toTitleCase(cp)) + s.substring(Character.charCount(cp)).toLowerCase(Locale.ROOT);
    }

    static String swapcase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> sb.append(Character.isUpperCase(cp) ? Character.toString(cp).toLowerCase(Locale.ROOT)
                : Character.isLowerCase(cp) ? Character.toString(cp).toUpperCase(Locale.ROOT) : Character.toString(cp)));
        return sb.toString();
    }

    /** Python's {@code str.replace(old, new, count)}; an empty {@code old} inserts between characters. */
    static String replace(String s, String old, String rep, long count) {
        if (old == null || rep == null) {
            throw TemplateException.type("replace() argument must be str, not NoneType");
        }
        long limit = count < 0 ? Long.MAX_VALUE : count;
        StringBuilder sb = new StringBuilder();
        long done = 0;
        if (old.isEmpty()) {
            for (int i = 0; i < s.length(); ) {
                if (done < limit) {
                    sb.append(rep);
                    done++;
                }
                int cp = s.codePointAt(i);
                sb.appendCodePoint(cp);
                i += Character.charCount(cp);
                PyOps.bounded(sb.toString());
            }
            if (done < limit) {
                sb.append(rep);
            }
            return PyOps.bounded(sb.toString());
        }
        int start = 0;
        while (done < limit) {
            int at = s.indexOf(old, start);
            if (at < 0) {
                break;
            }
            sb.append(s, start, at).append(rep);
            if (sb.length() > PyOps.MAX_SEQUENCE) {
                PyOps.bounded(sb.toString());
            }
            start = at + old.length();
            done++;
        }
        sb.append(s, start, s.length());
        return PyOps.bounded(sb.toString());
    }

    /** {@code center}/{@code ljust}/{@code rjust} to {@code width} code points. */
    static String pad(String s, int width, String fill, String how) {
        int len = s.codePointCount(0, s.length());
        if (len >= width) {
            return s;
        }
        int total = width - len;
        int left = switch (how) {
            case "rjust" -> total;
            case "ljust" -> 0;
            default -> total / 2 + (total & width & 1);
        };
        return fill.repeat(left) + s + fill.repeat(total - left);
    }
}
