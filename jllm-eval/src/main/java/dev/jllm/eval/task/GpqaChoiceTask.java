package dev.jllm.eval.task;

import dev.jllm.eval.scoring.ContinuationScore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GPQA variant scored by log-likelihood ({@code gpqa_<subset>_zeroshot}, {@code gpqa_<subset>_n_shot}): the
 * continuations are the target delimiter and each label {@code (A)}..{@code (D)}; acc picks the most likely one,
 * acc_norm the most likely per character of its label.
 *
 * <p>Examples ({@code --num-fewshot}) are drawn as the harness's default sampler draws them: a {@code Random(1234)}
 * (its {@code fewshot_random_seed}) samples one more document than asked from the pool for each evaluated document
 * in turn, the evaluated document itself is dropped when drawn, and the first ones asked for are kept.
 */
public final class GpqaChoiceTask implements EvalTask {
    /** The harness's default seed of few-shot sampling. */
    public static final long FEWSHOT_SEED = 1234;
    /** The option labels. */
    public static final List<String> LABELS = List.of("(A)", "(B)", "(C)", "(D)");

    private final String name;
    private final Gpqa.Variant variant;
    private final String source;
    private final List<GpqaDoc> docs;
    private final List<GpqaDoc> pool;

    GpqaChoiceTask(String name, Gpqa.Variant variant, String source, List<GpqaDoc> docs, List<GpqaDoc> pool) {
        this.name = name;
        this.variant = variant;
        this.source = source;
        this.docs = List.copyOf(docs);
        this.pool = List.copyOf(pool);
    }

    /** The evaluated documents, shuffled as the harness shuffles them. */
    public List<GpqaDoc> docs() {
        return docs;
    }

    /** The few-shot pool: the same split, shuffled in its own pass. */
    public List<GpqaDoc> pool() {
        return pool;
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
        return 1.0;
    }

    @Override
    public int size() {
        return docs.size();
    }

    @Override
    public List<String> metrics() {
        return List.of("acc", "acc_norm");
    }

    /** The description line: the n-shot variant's, none for zero-shot. */
    public String description() {
        return variant == Gpqa.Variant.N_SHOT ? Gpqa.NSHOT_DESCRIPTION : "";
    }

    /** {@code doc_to_text}: the question, its options, and {@code Answer:}. */
    public String docToText(GpqaDoc doc) {
        return Gpqa.body(variant, doc.question(), doc.choices()) + "\nAnswer:";
    }

    /**
     * The prompts of the first {@code count} documents with {@code shots} examples each.
     *
     * @throws IllegalArgumentException if the pool cannot give {@code shots} examples besides the document
     */
    public List<String> contexts(int count, int shots) {
        if (shots < 0 || shots + 1 > pool.size()) {
            throw new IllegalArgumentException(name + ": --num-fewshot " + shots + " needs " + (shots + 1)
                    + " documents in its split to draw from, which holds " + pool.size());
        }
        PythonRandom rnd = new PythonRandom(FEWSHOT_SEED);
        List<String> out = new ArrayList<>();
        for (GpqaDoc doc : docs.subList(0, count)) {
            StringBuilder b = new StringBuilder(description());
            if (shots > 0) {
                int kept = 0;
                for (int i : rnd.sample(pool.size(), shots + 1)) {
                    GpqaDoc ex = pool.get(i);
                    if (kept == shots || sameDocument(ex, doc)) {
                        continue;
                    }
                    b.append(docToText(ex)).append(' ').append(ex.answerLabel()).append("\n\n");
                    kept++;
                }
            }
            out.add(b.append(docToText(doc)).toString());
        }
        return out;
    }

    /** The harness compares processed documents as dicts: the same row with the same shuffled options. */
    private static boolean sameDocument(GpqaDoc a, GpqaDoc b) {
        return a.id() == b.id() && a.choices().equals(b.choices()) && a.answer() == b.answer();
    }

    /** The continuation scored for each option: a space and its label. */
    public List<String> continuations() {
        return LABELS.stream().map(l -> " " + l).toList();
    }

    /** acc and acc_norm of one document from its options' scores (the first option wins ties). */
    public Map<String, Double> score(GpqaDoc doc, List<ContinuationScore> scores) {
        int best = 0;
        int bestNorm = 0;
        for (int i = 1; i < scores.size(); i++) {
            if (scores.get(i).logLikelihood() > scores.get(best).logLikelihood()) {
                best = i;
            }
            double norm = scores.get(i).logLikelihood() / LABELS.get(i).length();
            if (norm > scores.get(bestNorm).logLikelihood() / LABELS.get(bestNorm).length()) {
                bestNorm = i;
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("acc", best == doc.answer() ? 1.0 : 0.0);
        m.put("acc_norm", bestNorm == doc.answer() ? 1.0 : 0.0);
        return m;
    }

    @Override
    public Map<String, Object> config(int shots) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("task", name);
        c.put("tag", Gpqa.TAG);
        c.put("dataset_path", source);
        c.put("training_split", "train");
        c.put("validation_split", "train");
        c.put("doc_to_text", (variant == Gpqa.Variant.N_SHOT ? "Question: {{Question}}"
                : "What is the correct answer to this question:{{Question}}")
                + "\nChoices:\n(A) {{choice1}}\n(B) {{choice2}}\n(C) {{choice3}}\n(D) {{choice4}}\nAnswer:");
        c.put("doc_to_target", "answer");
        c.put("doc_to_choice", LABELS);
        c.put("description", description());
        c.put("target_delimiter", " ");
        c.put("fewshot_delimiter", "\n\n");
        c.put("num_fewshot", shots);
        List<Map<String, Object>> metricList = new ArrayList<>();
        for (String metric : metrics()) {
            metricList.add(new LinkedHashMap<>(Map.of("metric", metric, "aggregation", "mean", "higher_is_better", true)));
        }
        c.put("metric_list", metricList);
        c.put("output_type", "multiple_choice");
        c.put("metadata", Map.of("version", 1.0));
        return c;
    }
}
