package dev.jllm.eval.scoring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One of the harness's answer filters over a generated text, each followed by {@code take_first}: what is graded
 * of a generation under the filter's name ({@code strict-match}, {@code flexible-extract}, {@code get-answer}).
 */
public sealed interface AnswerFilter {
    /** The answer when a filter finds none. */
    String INVALID = "[invalid]";

    /** The filter's name, under which its metrics are reported. */
    String name();

    /** The answer this filter extracts from {@code response}. */
    String apply(String response);

    /**
     * No extraction: the whole response ({@code take_first} alone).
     *
     * @param name the filter name
     */
    record Whole(String name) implements AnswerFilter {
        @Override
        public String apply(String response) {
            return response;
        }
    }

    /**
     * The harness's {@code regex} filter: of all matches of the pattern, the one at {@code groupSelect} (negative
     * counts from the end), reduced to its first non-empty group and stripped; {@link #INVALID} when none.
     *
     * @param name the filter name
     * @param pattern the pattern
     * @param groupSelect which match: 0 the first, -1 the last
     */
    record Regex(String name, Pattern pattern, int groupSelect) implements AnswerFilter {
        /** A filter over the harness's pattern text. */
        public Regex(String name, String pattern, int groupSelect) {
            this(name, HarnessRegex.compile(pattern), groupSelect);
        }

        @Override
        public String apply(String response) {
            String m = select(HarnessRegex.findAll(pattern, response), groupSelect);
            return m == null ? INVALID : m.strip();
        }
    }

    /**
     * The harness's {@code multi_choice_regex} filter: the pattern's selected match (e.g. {@code (B)}); else the
     * selected mention of an option's text (compared after the ignore rules) mapped to its label; else a label
     * after a colon ({@code ": B"}) mapped to {@code (B)}; else {@link #INVALID}.
     *
     * @param name the filter name
     * @param pattern the label pattern, e.g. {@code (\([A-Z]\))}
     * @param groupSelect which match: 0 the first, -1 the last
     * @param ignoreCase whether option texts are compared lower-cased
     * @param ignorePunctuation whether option texts are compared without Unicode punctuation
     * @param options the option texts in label order (A, B, ...)
     */
    record MultiChoice(String name, Pattern pattern, int groupSelect, boolean ignoreCase, boolean ignorePunctuation,
            List<String> options) implements AnswerFilter {
        /** The harness's usual form: {@code (\([A-Z]\))}, ignoring case and punctuation. */
        public static MultiChoice of(String name, int groupSelect, List<String> options) {
            return new MultiChoice(name, HarnessRegex.compile("(\\([A-Z]\\))"), groupSelect, true, true, options);
        }

        /** Copies the options. */
        public MultiChoice {
            options = List.copyOf(options);
        }

        @Override
        public String apply(String response) {
            String m = found(HarnessRegex.findAll(pattern, response), Map.of());
            if (m.isEmpty()) {
                Map<String, String> textToLabel = new LinkedHashMap<>();
                List<String> alternatives = new ArrayList<>();
                List<String> letters = new ArrayList<>();
                Map<String, String> letterToLabel = new LinkedHashMap<>();
                for (int i = 0; i < options.size(); i++) {
                    String letter = String.valueOf((char) ('A' + i));
                    String text = ignored(options.get(i).strip());
                    alternatives.add(Pattern.quote(text));
                    textToLabel.put(text, "(" + letter + ")");
                    letters.add(letter);
                    letterToLabel.put(letter, "(" + letter + ")");
                }
                m = found(HarnessRegex.findAll(HarnessRegex.compile(String.join("|", alternatives)), ignored(response)),
                        textToLabel);
                if (m.isEmpty()) {
                    m = found(HarnessRegex.findAll(HarnessRegex.compile(":\\s*(" + String.join("|", letters) + ")"),
                            response), letterToLabel);
                }
            }
            return m.isEmpty() ? INVALID : m;
        }

        private String found(List<String> matches, Map<String, String> convert) {
            String m = select(matches, groupSelect);
            if (m == null) {
                return "";
            }
            m = m.strip();
            return m.isEmpty() ? m : convert.getOrDefault(m, m);
        }

        private String ignored(String s) {
            if (ignoreCase) {
                s = s.toLowerCase(Locale.ROOT);
            }
            if (ignorePunctuation) {
                StringBuilder b = new StringBuilder(s.length());
                s.codePoints().filter(c -> !isPunctuation(c)).forEach(b::appendCodePoint);
                s = b.toString();
            }
            return s;
        }

        private static boolean isPunctuation(int c) {
            return switch (Character.getType(c)) {
                case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                        Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                        Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
                default -> false;
            };
        }
    }

    /**
     * The harness's BBH {@code WordSortFilter}: the words of the question's list, in the order of their last
     * mentions in the response, each once, joined by spaces.
     *
     * @param name the filter name
     * @param words the words to sort, as the question lists them
     */
    record WordSort(String name, List<String> words) implements AnswerFilter {
        /** Copies the words. */
        public WordSort {
            words = List.copyOf(words);
        }

        @Override
        public String apply(String response) {
            List<String> alternatives = new ArrayList<>();
            for (String w : words) {
                alternatives.add("\\b" + Pattern.quote(w) + "\\b");
            }
            List<String> mentions = HarnessRegex.findAll(HarnessRegex.compile(String.join("|", alternatives)), response);
            // first occurrences of the reversed mentions, reversed back: the order of last mentions
            LinkedHashSet<String> lastFirst = new LinkedHashSet<>(mentions.reversed());
            return String.join(" ", new ArrayList<>(lastFirst).reversed());
        }
    }

    /** The match at {@code index} (negative from the end), or null when there is none. */
    private static String select(List<String> matches, int index) {
        if (matches.isEmpty()) {
            return null;
        }
        int i = index < 0 ? matches.size() + index : index;
        return i >= 0 && i < matches.size() ? matches.get(i) : null;
    }
}
