package dev.jllm.eval.task;

import dev.jllm.eval.data.EvalDataException;
import dev.jllm.eval.metrics.Aggregation;
import dev.jllm.eval.metrics.BinaryClassification;
import dev.jllm.eval.metrics.Correlation;
import dev.jllm.eval.metrics.MetricValue;
import dev.jllm.eval.scoring.ContinuationScore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GLUE tasks on the dev split, zero-shot, read from the GLUE download's TSV files
 * ({@code <data-dir>/glue/<folder>/dev*.tsv}, see {@link GlueDevFile}; {@code glue} runs those present).
 *
 * <ul>
 *   <li>{@code cola}, {@code sst2}, {@code mrpc}, {@code qqp}, {@code mnli}, {@code mnli_mismatch}, {@code qnli},
 *       {@code rte} and {@code wnli} are the harness's tasks: its prompts, its options (a space and each class's
 *       word, in the order of the HF {@code glue} dataset's class labels), its metrics: mcc (CoLA), acc and f1
 *       (MRPC, QQP), acc (the others); corpus-level metrics without a standard error.
 *   <li>{@code stsb} has no harness task; jllm scores the options " 0" to " 5" after
 *       {@code Sentence 1: …\nSentence 2: …\nQuestion: On a scale of 0 to 5, how similar are the two sentences?\nAnswer:}
 *       and predicts the options' mean under the softmax of their log-likelihoods; metrics pearson and spearmanr
 *       against the gold scores.
 * </ul>
 */
public final class GlueTask implements EvalTask {
    /** The GLUE tasks jllm runs, in the order of the GLUE paper. */
    public enum Kind {
        /** Corpus of Linguistic Acceptability. */
        COLA("cola", "CoLA", "dev.tsv", "validation", 1.0, List.of("mcc"), List.of("no", "yes"),
                List.of("unacceptable", "acceptable"), List.of(), List.of(),
                "{{sentence}}\nQuestion: Does this sentence make sense?\nAnswer:"),
        /** Stanford Sentiment Treebank, two classes. */
        SST2("sst2", "SST-2", "dev.tsv", "validation", 1.0, List.of("acc"), List.of("negative", "positive"),
                List.of("negative", "positive"), List.of("sentence", "label"), List.of("sentence", "label"),
                "{{sentence}}\nQuestion: Is this sentence positive or negative?\nAnswer:"),
        /** Microsoft Research Paraphrase Corpus. */
        MRPC("mrpc", "MRPC", "dev.tsv", "validation", 1.0, List.of("acc", "f1"), List.of("no", "yes"),
                List.of("not_equivalent", "equivalent"), List.of("sentence1", "sentence2", "label"),
                List.of("#1 String", "#2 String", "Quality"),
                "Sentence 1: {{sentence1}}\nSentence 2: {{sentence2}}\nQuestion: Do both sentences mean the same "
                        + "thing?\nAnswer:"),
        /** Quora Question Pairs. */
        QQP("qqp", "QQP", "dev.tsv", "validation", 2.0, List.of("acc", "f1"), List.of("no", "yes"),
                List.of("not_duplicate", "duplicate"), List.of("question1", "question2", "label"),
                List.of("question1", "question2", "is_duplicate"),
                "Question 1: {{question1}}\nQuestion 2: {{question2}}\nQuestion: Do both questions ask the same "
                        + "thing?\nAnswer:"),
        /** Semantic Textual Similarity Benchmark (jllm's own prompt; the harness has no STS-B task). */
        STSB("stsb", "STS-B", "dev.tsv", "validation", 1.0, List.of("pearson", "spearmanr"),
                List.of("0", "1", "2", "3", "4", "5"), List.of(), List.of("sentence1", "sentence2", "label"),
                List.of("sentence1", "sentence2", "score"),
                "Sentence 1: {{sentence1}}\nSentence 2: {{sentence2}}\nQuestion: On a scale of 0 to 5, how similar "
                        + "are the two sentences?\nAnswer:"),
        /** Multi-Genre NLI, the matched dev split. */
        MNLI("mnli", "MNLI", "dev_matched.tsv", "validation_matched", 1.0, List.of("acc"),
                List.of("True", "Neither", "False"), List.of("entailment", "neutral", "contradiction"),
                List.of("premise", "hypothesis", "label"), List.of("sentence1", "sentence2", "gold_label"),
                Kind.MNLI_TEMPLATE),
        /** Multi-Genre NLI, the mismatched dev split. */
        MNLI_MISMATCH("mnli_mismatch", "MNLI", "dev_mismatched.tsv", "validation_mismatched", 1.0, List.of("acc"),
                List.of("True", "Neither", "False"), List.of("entailment", "neutral", "contradiction"),
                List.of("premise", "hypothesis", "label"), List.of("sentence1", "sentence2", "gold_label"),
                Kind.MNLI_TEMPLATE),
        /** Question NLI (from SQuAD). */
        QNLI("qnli", "QNLI", "dev.tsv", "validation", 1.0, List.of("acc"), List.of("yes", "no"),
                List.of("entailment", "not_entailment"), List.of("question", "sentence", "label"),
                List.of("question", "sentence", "label"),
                "{{question}}\n{{sentence}}\nQuestion: Does this response answer the question?\nAnswer:"),
        /** Recognizing Textual Entailment. */
        RTE("rte", "RTE", "dev.tsv", "validation", 1.0, List.of("acc"), List.of("True", "False"),
                List.of("entailment", "not_entailment"), List.of("sentence1", "sentence2", "label"),
                List.of("sentence1", "sentence2", "label"),
                "{{sentence1}}\nQuestion: {{sentence2}} True or False?\nAnswer:"),
        /** Winograd NLI. */
        WNLI("wnli", "WNLI", "dev.tsv", "validation", 2.0, List.of("acc"), List.of("False", "True"),
                List.of("not_entailment", "entailment"), List.of("sentence1", "sentence2", "label"),
                List.of("sentence1", "sentence2", "label"),
                "{{sentence1}}\nQuestion: {{sentence2}} True or False?\nAnswer:");

        // the harness builds MNLI's prompt in Python (utils.doc_to_text); this is the same text as a Jinja template
        private static final String MNLI_TEMPLATE = "{{premise}}\nQuestion: {{hypothesis.strip() ~ ('' if "
                + "hypothesis.strip().endswith('.') else '.')}} True, False or Neither?\nAnswer:";

        final String task;
        final String folder;
        final String file;
        final String split;
        final double version;
        final List<String> metrics;
        final List<String> choices;
        final List<String> classes;
        final List<String> features;
        final List<String> columns;
        final String template;

        Kind(String task, String folder, String file, String split, double version, List<String> metrics,
                List<String> choices, List<String> classes, List<String> features, List<String> columns,
                String template) {
            this.task = task;
            this.folder = folder;
            this.file = file;
            this.split = split;
            this.version = version;
            this.metrics = metrics;
            this.choices = choices;
            this.classes = classes;
            this.features = features;
            this.columns = columns;
            this.template = template;
        }

        /** The task's name, as {@code --tasks} takes it. */
        public String taskName() {
            return task;
        }

        /** The dev file under {@code <data-dir>/glue}: its folder of the GLUE download and its name. */
        public String relativePath() {
            return folder + "/" + file;
        }

        /**
         * The prompt of one example from its fields as the HF {@code glue} dataset names them (MNLI's hypothesis is
         * stripped and given a final full stop, as the harness's {@code doc_to_text} does).
         */
        public String prompt(Map<String, String> f) {
            return switch (this) {
                case COLA -> f.get("sentence") + "\nQuestion: Does this sentence make sense?\nAnswer:";
                case SST2 -> f.get("sentence") + "\nQuestion: Is this sentence positive or negative?\nAnswer:";
                case MRPC -> "Sentence 1: " + f.get("sentence1") + "\nSentence 2: " + f.get("sentence2")
                        + "\nQuestion: Do both sentences mean the same thing?\nAnswer:";
                case QQP -> "Question 1: " + f.get("question1") + "\nQuestion 2: " + f.get("question2")
                        + "\nQuestion: Do both questions ask the same thing?\nAnswer:";
                case STSB -> "Sentence 1: " + f.get("sentence1") + "\nSentence 2: " + f.get("sentence2")
                        + "\nQuestion: On a scale of 0 to 5, how similar are the two sentences?\nAnswer:";
                case MNLI, MNLI_MISMATCH -> {
                    String h = PythonText.strip(f.get("hypothesis"));
                    yield f.get("premise") + "\nQuestion: " + h + (h.endsWith(".") ? "" : ".")
                            + " True, False or Neither?\nAnswer:";
                }
                case QNLI -> f.get("question") + "\n" + f.get("sentence")
                        + "\nQuestion: Does this response answer the question?\nAnswer:";
                case RTE, WNLI -> f.get("sentence1") + "\nQuestion: " + f.get("sentence2") + " True or False?\nAnswer:";
            };
        }
    }

    /** The tag that runs every GLUE task whose file is present. */
    public static final String TAG = "glue";

    /**
     * One GLUE example.
     *
     * @param id its index in the file
     * @param text the prompt
     * @param label the gold class index (the HF dataset's class label), or -1 for STS-B
     * @param score the gold similarity (STS-B), or NaN
     * @param fields the record under the HF dataset's feature names, the label as the file writes it
     */
    public record GlueDoc(int id, String text, int label, double score, Map<String, String> fields) {
    }

    private final Kind kind;
    private final String source;
    private final List<GlueDoc> docs;

    GlueTask(Kind kind, String source, List<GlueDoc> docs) {
        this.kind = kind;
        this.source = source;
        this.docs = List.copyOf(docs);
    }

    static boolean knows(String name) {
        if (name.equals(TAG)) {
            return true;
        }
        for (Kind k : Kind.values()) {
            if (k.task.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** The task names, in order, for listings. */
    static List<String> taskNames() {
        List<String> names = new ArrayList<>();
        for (Kind k : Kind.values()) {
            names.add(k.task);
        }
        return names;
    }

    /**
     * The task {@code name}, or for {@code glue} every task whose dev file is present.
     *
     * @throws EvalDataException if a file is missing or malformed, or {@code glue} finds none
     */
    static List<GlueTask> resolve(String name, Path dataDir) throws IOException {
        List<GlueTask> out = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (Kind k : Kind.values()) {
            Path file = dataDir.resolve(TAG).resolve(k.folder).resolve(k.file);
            expected.add(k.relativePath());
            if (k.task.equals(name) || name.equals(TAG) && Files.isRegularFile(file)) {
                if (!Files.isRegularFile(file)) {
                    throw new EvalDataException(file, 0, "is missing (the GLUE " + k.folder + " " + k.split
                            + " split of " + k.task + ")");
                }
                out.add(new GlueTask(k, file.toString(), GlueDevFile.read(k, file)));
            }
        }
        if (out.isEmpty()) {
            throw new EvalDataException(dataDir.resolve(TAG), 0, "holds no GLUE dev file (any of "
                    + String.join(", ", expected) + ")");
        }
        return out;
    }

    /** Which task this is. */
    public Kind kind() {
        return kind;
    }

    /** The examples. */
    public List<GlueDoc> docs() {
        return docs;
    }

    /** The options' words, in class order. */
    public List<String> choices() {
        return kind.choices;
    }

    /** The continuation of each option: a space and its word. */
    public List<String> continuations() {
        return choices().stream().map(c -> MultipleChoiceTask.TARGET_DELIMITER + c).toList();
    }

    /**
     * The predicted class (the most likely option, the first on ties as {@code numpy.argmax}) or, for STS-B, the
     * options' softmax-weighted mean.
     */
    public double predict(List<ContinuationScore> scores) {
        if (kind != Kind.STSB) {
            int best = 0;
            for (int i = 1; i < scores.size(); i++) {
                if (scores.get(i).logLikelihood() > scores.get(best).logLikelihood()) {
                    best = i;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (ContinuationScore s : scores) {
            max = Math.max(max, s.logLikelihood());
        }
        double z = 0;
        double mean = 0;
        for (int i = 0; i < scores.size(); i++) {
            double p = Math.exp(scores.get(i).logLikelihood() - max);
            z += p;
            mean += p * i;
        }
        return mean / z;
    }

    /**
     * The task's metrics over examples and their predictions ({@link #predict}), in order: acc as the mean of
     * per-example correctness with its standard error; f1 (of class 1, as scikit-learn's default), mcc and the
     * correlations over the whole corpus, without one.
     */
    public Map<String, MetricValue> aggregate(List<GlueDoc> scored, double[] predictions) {
        int n = scored.size();
        int[] gold = new int[n];
        int[] predicted = new int[n];
        double[] goldScores = new double[n];
        double[] correct = new double[n];
        for (int i = 0; i < n; i++) {
            gold[i] = scored.get(i).label();
            predicted[i] = (int) predictions[i];
            goldScores[i] = scored.get(i).score();
            correct[i] = gold[i] == predicted[i] ? 1 : 0;
        }
        boolean enough = n >= 2;
        Map<String, MetricValue> m = new LinkedHashMap<>();
        for (String metric : kind.metrics) {
            m.put(metric, switch (metric) {
                case "acc" -> Aggregation.mean(correct);
                case "f1" -> new MetricValue(BinaryClassification.f1(gold, predicted), Double.NaN, n);
                case "mcc" -> new MetricValue(BinaryClassification.mcc(gold, predicted), Double.NaN, n);
                case "pearson" -> new MetricValue(enough ? Correlation.pearson(goldScores, predictions) : Double.NaN,
                        Double.NaN, n);
                case "spearmanr" -> new MetricValue(enough ? Correlation.spearman(goldScores, predictions)
                        : Double.NaN, Double.NaN, n);
                default -> throw new IllegalStateException("no aggregation for " + metric);
            });
        }
        return m;
    }

    @Override
    public String name() {
        return kind.task;
    }

    @Override
    public String alias() {
        return kind.task;
    }

    @Override
    public double version() {
        return kind.version;
    }

    @Override
    public int size() {
        return docs.size();
    }

    @Override
    public List<String> metrics() {
        return kind.metrics;
    }

    @Override
    public Map<String, Object> config(int shots) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("tag", TAG);
        c.put("task", name());
        c.put("dataset_path", source);
        c.put("dataset_name", kind == Kind.MNLI_MISMATCH ? Kind.MNLI.task : name());
        c.put("validation_split", kind.split);
        c.put("doc_to_text", kind.template);
        c.put("doc_to_target", "label");
        c.put("doc_to_choice", choices());
        c.put("target_delimiter", MultipleChoiceTask.TARGET_DELIMITER);
        c.put("num_fewshot", shots);
        List<Map<String, Object>> metricList = new ArrayList<>();
        for (String metric : kind.metrics) {
            metricList.add(new LinkedHashMap<>(Map.of("metric", metric, "higher_is_better", true)));
        }
        c.put("metric_list", metricList);
        c.put("output_type", "multiple_choice");
        c.put("metadata", Map.of("version", kind.version));
        return c;
    }
}
