package dev.jllm.eval.task;

import dev.jllm.eval.scoring.ContinuationScore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A multiple-choice task with the harness's {@code multiple_choice} output type and its MMLU/C-Eval template:
 * the prompt is the description, then the few-shot examples (each its question text, the target delimiter and
 * its answer label) each followed by the few-shot delimiter, then the question text; each option's continuation
 * is the target delimiter and its label. Few-shot examples are the first ones of the few-shot split
 * ({@code first_n}).
 */
public final class MultipleChoiceTask implements EvalTask {
    /** The labels of the options, in order. */
    public static final List<String> LABELS = List.of("A", "B", "C", "D");
    /** Between a question text and its answer. */
    public static final String TARGET_DELIMITER = " ";
    /** After each few-shot example. */
    public static final String FEWSHOT_DELIMITER = "\n\n";

    /**
     * What a task is, apart from its documents.
     *
     * @param name the task name
     * @param alias the table name
     * @param datasetPath the data folder, for the config
     * @param datasetName the subject
     * @param evalSplit {@code test} or {@code val}, the split scored
     * @param description the line before the examples
     * @param answerCue the text that ends each question ({@code Answer:}, {@code 答案：})
     * @param template the harness's {@code doc_to_text} Jinja template, for the config
     * @param metrics {@code acc}, and {@code acc_norm} where the harness reports it
     * @param version the harness's version of the task
     */
    public record Spec(String name, String alias, String datasetPath, String datasetName, String evalSplit,
            String description, String answerCue, String template, List<String> metrics, double version) {
    }

    private final Spec spec;
    private final List<ChoiceDoc> docs;
    private final List<ChoiceDoc> fewshot;

    /** A task over its evaluated documents and its few-shot pool. */
    public MultipleChoiceTask(Spec spec, List<ChoiceDoc> docs, List<ChoiceDoc> fewshot) {
        this.spec = spec;
        this.docs = List.copyOf(docs);
        this.fewshot = List.copyOf(fewshot);
    }

    /** The spec. */
    public Spec spec() {
        return spec;
    }

    /** The evaluated documents. */
    public List<ChoiceDoc> docs() {
        return docs;
    }

    /** The few-shot pool, in file order. */
    public List<ChoiceDoc> fewshotPool() {
        return fewshot;
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public String alias() {
        return spec.alias();
    }

    @Override
    public double version() {
        return spec.version();
    }

    @Override
    public int size() {
        return docs.size();
    }

    @Override
    public List<String> metrics() {
        return spec.metrics();
    }

    /** {@code question.strip()}, then each option on its own line after its label, then the answer cue. */
    public String docToText(ChoiceDoc doc) {
        StringBuilder b = new StringBuilder(PythonText.strip(doc.question()));
        for (int i = 0; i < doc.options().size(); i++) {
            b.append('\n').append(LABELS.get(i)).append(". ").append(doc.options().get(i));
        }
        return b.append('\n').append(spec.answerCue()).toString();
    }

    /**
     * The prompt for {@code doc} with the first {@code shots} documents of the few-shot pool as examples.
     *
     * @throws IllegalArgumentException if the pool holds fewer than {@code shots} documents
     */
    public String context(ChoiceDoc doc, int shots) {
        if (shots < 0 || shots > fewshot.size()) {
            throw new IllegalArgumentException(name() + ": --num-fewshot " + shots + " asks for more examples than the "
                    + fewshot.size() + " of its few-shot split");
        }
        StringBuilder b = new StringBuilder(spec.description());
        for (int i = 0; i < shots; i++) {
            ChoiceDoc ex = fewshot.get(i);
            b.append(docToText(ex)).append(TARGET_DELIMITER).append(LABELS.get(ex.answer())).append(FEWSHOT_DELIMITER);
        }
        return b.append(docToText(doc)).toString();
    }

    /** The continuation scored for each option: the target delimiter and its label. */
    public List<String> continuations(ChoiceDoc doc) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < doc.options().size(); i++) {
            out.add(TARGET_DELIMITER + LABELS.get(i));
        }
        return out;
    }

    /**
     * The document's metrics from its options' scores: {@code acc} whether the most likely option is the answer,
     * {@code acc_norm} the same with each log-likelihood divided by its label's length in characters (the first
     * option wins ties, as {@code numpy.argmax}).
     */
    public Map<String, Double> score(ChoiceDoc doc, List<ContinuationScore> scores) {
        int best = 0;
        int bestNorm = 0;
        double[] norm = new double[scores.size()];
        for (int i = 0; i < scores.size(); i++) {
            String label = LABELS.get(i);
            norm[i] = scores.get(i).logLikelihood() / label.codePointCount(0, label.length());
            if (scores.get(i).logLikelihood() > scores.get(best).logLikelihood()) {
                best = i;
            }
            if (norm[i] > norm[bestNorm]) {
                bestNorm = i;
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (String metric : spec.metrics()) {
            m.put(metric, (metric.equals("acc_norm") ? bestNorm : best) == doc.answer() ? 1.0 : 0.0);
        }
        return m;
    }

    @Override
    public Map<String, Object> config(int shots) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("task", name());
        if (!alias().equals(name())) {
            c.put("task_alias", alias());
        }
        c.put("dataset_path", spec.datasetPath());
        c.put("dataset_name", spec.datasetName());
        c.put(spec.evalSplit().equals("test") ? "test_split" : "validation_split", spec.evalSplit());
        c.put("fewshot_split", "dev");
        c.put("doc_to_text", spec.template());
        c.put("doc_to_target", "answer");
        c.put("doc_to_choice", LABELS);
        c.put("description", spec.description());
        c.put("target_delimiter", TARGET_DELIMITER);
        c.put("fewshot_delimiter", FEWSHOT_DELIMITER);
        c.put("fewshot_config", Map.of("sampler", "first_n"));
        c.put("num_fewshot", shots);
        List<Map<String, Object>> metricList = new ArrayList<>();
        for (String metric : spec.metrics()) {
            metricList.add(new LinkedHashMap<>(Map.of("metric", metric, "aggregation", "mean", "higher_is_better", true)));
        }
        c.put("metric_list", metricList);
        c.put("output_type", "multiple_choice");
        c.put("metadata", Map.of("version", spec.version()));
        return c;
    }
}
