package dev.jllm.eval.scoring;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The harness's regular expressions as Python's {@code re} reads them: {@code .} and {@code $} know only {@code \n}
 * as a line end, and {@code \w}, {@code \s}, {@code \b} are Unicode-aware, as for Python {@code str} patterns.
 */
public final class HarnessRegex {
    private HarnessRegex() {
    }

    /** {@code re.compile(pattern)}. */
    public static Pattern compile(String pattern) {
        return Pattern.compile(pattern, Pattern.UNIX_LINES | Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** {@code re.compile(pattern, re.IGNORECASE)}. */
    public static Pattern compileIgnoringCase(String pattern) {
        return Pattern.compile(pattern, Pattern.UNIX_LINES | Pattern.UNICODE_CHARACTER_CLASS | Pattern.CASE_INSENSITIVE
                | Pattern.UNICODE_CASE);
    }

    /**
     * {@code re.findall(pattern, text)} reduced as the harness's regex filters reduce each match: the whole match
     * when the pattern has no group, the group when it has one, and the first non-empty group when it has several
     * (null when all are empty).
     */
    public static List<String> findAll(Pattern pattern, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        int groups = m.groupCount();
        while (m.find()) {
            if (groups == 0) {
                out.add(m.group());
            } else if (groups == 1) {
                out.add(m.group(1) == null ? "" : m.group(1));
            } else {
                String first = null;
                for (int g = 1; g <= groups; g++) {
                    String s = m.group(g);
                    if (s != null && !s.isEmpty()) {
                        first = s;
                        break;
                    }
                }
                out.add(first);
            }
        }
        return out;
    }

    /** {@code re.sub(pattern, "", text)}. */
    public static String removeAll(Pattern pattern, String text) {
        return pattern.matcher(text).replaceAll("");
    }
}
