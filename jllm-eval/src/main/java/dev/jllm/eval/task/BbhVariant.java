package dev.jllm.eval.task;

import dev.jllm.eval.scoring.AnswerFilter;
import dev.jllm.eval.scoring.ExactMatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The four forms of the harness's BBH tasks: prompt, stop strings, answer filters and exact-match options.
 *
 * <ul>
 *   <li>{@code cot_fewshot}: the prompts file's description and worked examples, then
 *       {@code "\n\nQ: <input>\nA: Let's think step by step."}; stops at {@code </s>}, {@code Q}, a blank line;
 *       filter {@code get-answer} (what follows {@code "the answer is "}); plain exact match.
 *   <li>{@code fewshot}: {@code "<description>\n\n"}, then each example as {@code "Q: <input>\nA: <answer>\n\n"}
 *       with its short answer, then {@code "Q: <input>\nA:"}; same stops; no filter (the whole generation).
 *   <li>{@code zeroshot}: {@code "<description>\n\nQ: <input>\nA:"}; stops at {@code </s>}, {@code Q:},
 *       {@code <|im_end|>}; filters {@code strict-match} (the whole generation) and {@code flexible-extract}
 *       (the task family's pattern, first match); exact match ignoring case, a final period, commas, newlines,
 *       backslashes and double quotes.
 *   <li>{@code cot_zeroshot}: as zeroshot with {@code " Let's think step by step."} after {@code "A:"};
 *       {@code strict-match} takes what follows "The answer is ", "the answer is ", "The answer: " or
 *       "The final answer: "; {@code flexible-extract} the family pattern's last match.
 * </ul>
 *
 * <p>The flexible patterns by task family: {@code True|False}, {@code valid|invalid}, {@code Yes|No} words; signed
 * integers for the arithmetic and counting tasks (without the harness's fallback to numbers written in words);
 * bracket runs for Dyck languages; the question's own words, ordered by their last mention, for word sorting; and
 * for every multiple-choice task an {@code (X)} label, else an option's text, else a label after a colon.
 */
public enum BbhVariant {
    /** Few-shot chain of thought, the release's own prompts (the harness's {@code bbh}). */
    COT_FEWSHOT("bbh_cot_fewshot", true, 3.0, List.of("</s>", "Q", "\n\n"), "Q: {{input}}\nA: Let's think step by step."),
    /** Few-shot with the examples' short answers. */
    FEWSHOT("bbh_fewshot", true, 2.0, List.of("</s>", "Q", "\n\n"), "Q: {{input}}\nA:"),
    /** Zero-shot, answering directly. */
    ZEROSHOT("bbh_zeroshot", false, 2.0, List.of("</s>", "Q:", "<|im_end|>"), "Q: {{input}}\nA:"),
    /** Zero-shot chain of thought. */
    COT_ZEROSHOT("bbh_cot_zeroshot", false, 3.0, List.of("</s>", "Q:", "<|im_end|>"),
            "Q: {{input}}\nA: Let's think step by step.");

    /** The cot_fewshot answer pattern. */
    public static final String COT_FEWSHOT_ANSWER = "(?<=the answer is )(.*)(?=.)";
    /** The cot_zeroshot strict pattern. */
    public static final String COT_ZEROSHOT_ANSWER = "((?<=The answer is )(.*)(?=.)|(?<=the answer is )(.*)(?=.)|"
            + "(?<=The answer: )(.*)(?=.)|(?<=The final answer: )(.*)(?=.))";
    private static final Set<String> BOOLEAN = Set.of("boolean_expressions");
    private static final Set<String> VALIDITY = Set.of("formal_fallacies");
    private static final Set<String> YES_NO = Set.of("causal_judgement", "navigate", "sports_understanding",
            "web_of_lies");
    private static final Set<String> NUMERIC = Set.of("multistep_arithmetic_two", "object_counting");
    private static final Pattern OPTION = dev.jllm.eval.scoring.HarnessRegex.compile("\\([A-Z]\\)([^\\n^(]*)");

    /** The group name, and the prefix of task names. */
    public final String group;
    /** Whether prompts hold worked examples. */
    public final boolean fewshot;
    /** The harness's version of the form. */
    public final double version;
    /** Where generation stops. */
    public final List<String> until;
    /** The harness's {@code doc_to_text}, for the config. */
    public final String docToText;
    /** How answers are compared. */
    public final ExactMatch exactMatch;

    BbhVariant(String group, boolean fewshot, double version, List<String> until, String docToText) {
        this.group = group;
        this.fewshot = fewshot;
        this.version = version;
        this.until = until;
        this.docToText = docToText;
        this.exactMatch = group.contains("zeroshot")
                ? new ExactMatch(List.of("\\.$", ",", "\n", "\\\\", "\""), true, false) : ExactMatch.PLAIN;
    }

    /** The form a task or group name belongs to, or null. */
    static BbhVariant of(String name) {
        BbhVariant best = null;
        for (BbhVariant v : values()) {
            if ((name.equals(v.group) || name.startsWith(v.group + "_"))
                    && (best == null || v.group.length() > best.group.length())) {
                best = v;
            }
        }
        return best;
    }

    /** The filter names, the reported one first. */
    List<String> filterNames() {
        return switch (this) {
            case COT_FEWSHOT -> List.of("get-answer");
            case FEWSHOT -> List.of("none");
            case ZEROSHOT, COT_ZEROSHOT -> List.of("strict-match", "flexible-extract");
        };
    }

    /** The filters of a question of task {@code subtask}. */
    List<AnswerFilter> filters(String subtask, String input) {
        return switch (this) {
            case COT_FEWSHOT -> List.of(new AnswerFilter.Regex("get-answer", COT_FEWSHOT_ANSWER, 0));
            case FEWSHOT -> List.of(new AnswerFilter.Whole("none"));
            case ZEROSHOT -> List.of(new AnswerFilter.Whole("strict-match"), flexible(subtask, input, 0));
            case COT_ZEROSHOT -> List.of(new AnswerFilter.Regex("strict-match", COT_ZEROSHOT_ANSWER, 0),
                    flexible(subtask, input, -1));
        };
    }

    private static AnswerFilter flexible(String subtask, String input, int select) {
        String name = "flexible-extract";
        if (BOOLEAN.contains(subtask)) {
            return new AnswerFilter.Regex(name, "\\b(True|False)\\b", select);
        }
        if (VALIDITY.contains(subtask)) {
            return new AnswerFilter.Regex(name, "\\b(valid|invalid)\\b", select);
        }
        if (YES_NO.contains(subtask)) {
            return new AnswerFilter.Regex(name, "\\b(Yes|No|yes|no)\\b", select);
        }
        if (NUMERIC.contains(subtask)) {
            return new AnswerFilter.Regex(name, "([-0-9]+)", select);
        }
        if (subtask.equals("dyck_languages")) {
            return new AnswerFilter.Regex(name, "(?<= )([\" \\[\\(<{}>\\)\\]]+)", select);
        }
        if (subtask.equals("word_sorting")) {
            int at = input.indexOf("List:");
            String list = at < 0 ? "" : PythonText.strip(input.substring(at + "List:".length()));
            return new AnswerFilter.WordSort(name, list.isEmpty() ? List.of() : Arrays.asList(list.split("\\s+")));
        }
        List<String> options = new ArrayList<>();
        Matcher m = OPTION.matcher(input);
        while (m.find()) {
            options.add(m.group(1));
        }
        return AnswerFilter.MultiChoice.of(name, select, options);
    }

    /** The filter list in the harness's config layout. */
    List<Map<String, Object>> filterConfig(String subtask) {
        return switch (this) {
            case COT_FEWSHOT -> List.of(Map.of("name", "get-answer", "filter", List.of(Map.of("function", "regex",
                    "regex_pattern", COT_FEWSHOT_ANSWER), Map.of("function", "take_first"))));
            case FEWSHOT -> List.of();
            case ZEROSHOT, COT_ZEROSHOT -> {
                AnswerFilter f = flexible(subtask, "", this == ZEROSHOT ? 0 : -1);
                Map<String, Object> flex = new LinkedHashMap<>();
                flex.put("function", f.getClass().getSimpleName());
                if (f instanceof AnswerFilter.Regex r) {
                    flex.put("regex_pattern", r.pattern().pattern());
                }
                flex.put("group_select", this == ZEROSHOT ? 0 : -1);
                List<Map<String, Object>> strict = this == ZEROSHOT ? List.of(Map.of("function", "take_first"))
                        : List.of(Map.of("function", "regex", "regex_pattern", COT_ZEROSHOT_ANSWER),
                                Map.of("function", "take_first"));
                yield List.of(Map.of("name", "strict-match", "filter", strict),
                        Map.of("name", "flexible-extract", "filter", List.of(flex, Map.of("function", "take_first"))));
            }
        };
    }

    /** The metric entry in the harness's config layout. */
    Map<String, Object> metricConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", "exact_match");
        m.put("aggregation", "mean");
        m.put("higher_is_better", true);
        if (exactMatch.ignoreCase()) {
            m.put("ignore_case", true);
            m.put("regexes_to_ignore", exactMatch.regexesToIgnore());
        }
        return m;
    }
}
