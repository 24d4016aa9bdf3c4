package dev.jllm.eval.scoring;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The harness's {@code exact_match} metric (Hugging Face {@code evaluate}'s): each regex to ignore is removed from
 * both strings, then both are lower-cased if case is ignored and stripped of ASCII punctuation
 * ({@code string.punctuation}) if punctuation is ignored; the score is 1 when they are then equal. No whitespace is
 * trimmed.
 *
 * @param regexesToIgnore patterns removed from prediction and reference, in order
 * @param ignoreCase whether to compare lower-cased
 * @param ignorePunctuation whether to drop the characters of {@code string.punctuation}
 */
public record ExactMatch(List<String> regexesToIgnore, boolean ignoreCase, boolean ignorePunctuation) {
    /** Plain equality. */
    public static final ExactMatch PLAIN = new ExactMatch(List.of(), false, false);
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /** Copies the list. */
    public ExactMatch {
        regexesToIgnore = List.copyOf(regexesToIgnore);
    }

    /** 1 if {@code prediction} matches {@code reference} under these options, else 0. */
    public double score(String prediction, String reference) {
        return normalize(prediction).equals(normalize(reference)) ? 1 : 0;
    }

    private String normalize(String s) {
        for (String r : regexesToIgnore) {
            s = HarnessRegex.removeAll(HarnessRegex.compile(r), s);
        }
        if (ignoreCase) {
            s = s.toLowerCase(Locale.ROOT);
        }
        if (ignorePunctuation) {
            StringBuilder b = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                if (PUNCTUATION.indexOf(s.charAt(i)) < 0) {
                    b.append(s.charAt(i));
                }
            }
            s = b.toString();
        }
        return s;
    }
}
