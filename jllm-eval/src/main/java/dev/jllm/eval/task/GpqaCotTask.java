package dev.jllm.eval.task;

import dev.jllm.eval.scoring.AnswerFilter;
import dev.jllm.eval.scoring.ExactMatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GPQA chain-of-thought variant ({@code gpqa_<subset>_cot_zeroshot}, {@code gpqa_<subset>_cot_n_shot}): the model
 * reasons after "Let's think step by step:" until {@code </s>}, and the label it reaches is graded against
 * {@code (A)}..{@code (D)} ignoring case and punctuation. Filters: {@code strict-match} takes what follows
 * {@code "The answer is "} ({@code "The final answer is "} for n-shot) up to the line's last character;
 * {@code flexible-extract} takes the last {@code (X)} in the text, else the last mention of an option's text, else a
 * label after a colon.
 *
 * <p>The n-shot variant's examples are the five worked examples of the GPQA authors the harness bundles (first
 * {@code n}); the two questions among them are left out of the evaluated documents.
 */
public final class GpqaCotTask implements GenerativeTask {
    /** Where generation stops. */
    public static final List<String> UNTIL = List.of("</s>");

    /**
     * A worked example.
     *
     * @param question the question
     * @param choices its options in label order
     * @param answer the reasoning, ending in its final answer
     */
    public record Example(String question, List<String> choices, String answer) {
    }

    private final String name;
    private final Gpqa.Variant variant;
    private final String source;
    private final List<GpqaDoc> docs;
    private final List<Example> examples;

    GpqaCotTask(String name, Gpqa.Variant variant, String source, List<GpqaDoc> docs, List<Example> examples) {
        this.name = name;
        this.variant = variant;
        this.source = source;
        this.docs = List.copyOf(docs);
        this.examples = List.copyOf(examples);
    }

    /** The evaluated documents, shuffled as the harness shuffles them. */
    public List<GpqaDoc> docs() {
        return docs;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String alias() {
        return name;
    }

    @Override
    public double version() {
        return variant == Gpqa.Variant.COT_N_SHOT ? 4.0 : 2.2;
    }

    @Override
    public int size() {
        return docs.size();
    }

    @Override
    public int shots(Integer requested) {
        int n = requested != null ? requested : examples.size();
        if (n < 0 || n > examples.size()) {
            throw new IllegalArgumentException(name + " takes at most " + examples.size() + " examples"
                    + (examples.isEmpty() ? " (use the cot_n_shot variant for worked examples)" : "") + ", not " + n);
        }
        return n;
    }

    /** {@code doc_to_text} of a question: the question, its options, and the step-by-step cue. */
    String docToText(String question, List<String> choices) {
        return Gpqa.body(variant, question, choices) + (variant == Gpqa.Variant.COT_N_SHOT ? "\nLet's think step by "
                + "step:" : "\nLet's think step by step: ");
    }

    @Override
    public List<String> prompts(int count, int shots) {
        StringBuilder prefix = new StringBuilder(variant == Gpqa.Variant.COT_N_SHOT ? Gpqa.NSHOT_DESCRIPTION : "");
        for (Example e : examples.subList(0, shots)) {
            prefix.append(docToText(e.question(), e.choices())).append(' ').append(e.answer()).append("\n\n");
        }
        List<String> out = new ArrayList<>();
        for (GpqaDoc d : docs.subList(0, count)) {
            out.add(prefix + docToText(d.question(), d.choices()));
        }
        return out;
    }

    @Override
    public String target(int doc) {
        return docs.get(doc).answerLabel();
    }

    @Override
    public Map<String, Object> fields(int doc) {
        GpqaDoc d = docs.get(doc);
        Map<String, Object> f = new LinkedHashMap<>(d.fields());
        for (int i = 0; i < 4; i++) {
            f.put("choice" + (i + 1), d.choices().get(i));
        }
        f.put("answer", d.answerLabel());
        return f;
    }

    @Override
    public List<String> until() {
        return UNTIL;
    }

    /** The strict filter's pattern. */
    public String strictPattern() {
        return variant == Gpqa.Variant.COT_N_SHOT ? "(?<=The final answer is )(.*)(?=.)"
                : "(?<=The answer is )(.*)(?=.)";
    }

    @Override
    public List<AnswerFilter> filters(int doc) {
        return List.of(new AnswerFilter.Regex("strict-match", strictPattern(), 0),
                AnswerFilter.MultiChoice.of("flexible-extract", -1, docs.get(doc).choices()));
    }

    @Override
    public List<String> filterNames() {
        return List.of("strict-match", "flexible-extract");
    }

    @Override
    public ExactMatch exactMatch() {
        return new ExactMatch(List.of(), true, true);
    }

    @Override
    public Map<String, Object> config(int shots) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("task", name);
        c.put("tag", Gpqa.TAG);
        c.put("dataset_path", source);
        c.put("test_split", "train");
        c.put("description", variant == Gpqa.Variant.COT_N_SHOT ? Gpqa.NSHOT_DESCRIPTION : "");
        c.put("doc_to_text", (variant == Gpqa.Variant.COT_N_SHOT ? "Question: {{Question|trim}}"
                : "What is the correct answer to this question:{{Question}}") + "\nChoices:\n(A) {{choice1}}\n"
                + "(B) {{choice2}}\n(C) {{choice3}}\n(D) {{choice4}}\nLet's think step by step:"
                + (variant == Gpqa.Variant.COT_N_SHOT ? "" : " "));
        c.put("doc_to_target", "answer");
        c.put("target_delimiter", " ");
        c.put("fewshot_delimiter", "\n\n");
        c.put("num_fewshot", shots);
        c.put("output_type", "generate_until");
        c.put("generation_kwargs", Map.of("until", UNTIL, "do_sample", false, "temperature", 0.0));
        c.put("filter_list", List.of(
                Map.of("name", "strict-match", "filter", List.of(Map.of("function", "regex", "regex_pattern",
                        strictPattern()), Map.of("function", "take_first"))),
                Map.of("name", "flexible-extract", "filter", List.of(Map.of("function", "multi_choice_regex",
                        "group_select", -1, "ignore_case", true, "ignore_punctuation", true,
                        "regex_pattern", "(\\([A-Z]\\))"), Map.of("function", "take_first")))));
        c.put("metric_list", List.of(Map.of("metric", "exact_match", "aggregation", "mean", "higher_is_better", true,
                "ignore_case", true, "ignore_punctuation", true)));
        c.put("metadata", Map.of("version", version()));
        return c;
    }
}
