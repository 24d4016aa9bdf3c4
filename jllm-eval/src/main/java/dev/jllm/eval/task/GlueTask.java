package dev.jllm.eval.task;

import dev.jllm.eval.data.CsvFile;
import dev.jllm.eval.data.CsvRecord;
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
 * ({@code <data-dir>/glue/{CoLA,MRPC,STS-B}/dev.tsv}; {@code glue} runs those present).
 *
 * <ul>
 *   <li>{@code cola} and {@code mrpc} are the harness's tasks: its prompts, options " no"/" yes", metrics mcc (CoLA)
 *       and acc, f1 (MRPC), corpus-level metrics without a standard error.
 *   <li>{@code stsb} has no harness task; jllm scores the options " 0" to " 5" after
 *       {@code Sentence 1: …\nSentence 2: …\nQuestion: On a scale of 0 to 5, how similar are the two sentences?\nAnswer:}
 *       and predicts the options' mean under the softmax of their log-likelihoods; metrics pearson and spearmanr
 *       against the gold scores.
 * </ul>
 */
public final class GlueTask implements EvalTask {
    /** The GLUE tasks jllm runs. */
    public enum Kind {
        /** Corpus of Linguistic Acceptability. */
        COLA("cola", "CoLA", List.of("mcc")),
        /** Microsoft Research Paraphrase Corpus. */
        MRPC("mrpc", "MRPC", List.of("acc", "f1")),
        /** Semantic Textual Similarity Benchmark. */
        STSB("stsb", "STS-B", List.of("pearson", "spearmanr"));

        final String task;
        final String folder;
        final List<String> metrics;

        Kind(String task, String folder, List<String> metrics) {
            this.task = task;
            this.folder = folder;
            this.metrics = metrics;
        }
    }

    /** The tag that runs every GLUE task whose file is present. */
    public static final String TAG = "glue";

    /**
     * One GLUE example.
     *
     * @param id its index in the file
     * @param text the prompt
     * @param label the gold class (CoLA, MRPC), or -1
     * @param score the gold similarity (STS-B), or NaN
     * @param fields the record as its header names the columns
     */
    public record GlueDoc(int id, String text, int label, double score, Map<String, String> fields) {
    }

    private final Kind kind;
    private final String source;
    private final List<GlueDoc> docs;

    private GlueTask(Kind kind, String source, List<GlueDoc> docs) {
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

    /**
     * The task {@code name}, or for {@code glue} every task whose dev file is present.
     *
     * @throws EvalDataException if a file is missing or malformed, or {@code glue} finds none
     */
    static List<GlueTask> resolve(String name, Path dataDir) throws IOException {
        List<GlueTask> out = new ArrayList<>();
        for (Kind k : Kind.values()) {
            Path file = dataDir.resolve(TAG).resolve(k.folder).resolve("dev.tsv");
            if (k.task.equals(name) || name.equals(TAG) && Files.isRegularFile(file)) {
                if (!Files.isRegularFile(file)) {
                    throw new EvalDataException(file, 0, "is missing (the GLUE " + k.folder + " dev split)");
                }
                out.add(new GlueTask(k, file.toString(), read(k, file)));
            }
        }
        if (out.isEmpty()) {
            throw new EvalDataException(dataDir.resolve(TAG), 0, "holds no GLUE dev file ({CoLA,MRPC,STS-B}/dev.tsv)");
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

    /** The options' labels, in class order. */
    public List<String> choices() {
        return kind == Kind.STSB ? List.of("0", "1", "2", "3", "4", "5") : List.of("no", "yes");
    }

    /** The continuation of each option: a space and its label. */
    public List<String> continuations() {
        return choices().stream().map(c -> MultipleChoiceTask.TARGET_DELIMITER + c).toList();
    }

    /** The predicted class (the most likely option) or, for STS-B, the options' softmax-weighted mean. */
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

    /** The task's metrics over examples and their predictions ({@link #predict}), in order. */
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
        Map<String, MetricValue> m = new LinkedHashMap<>();
        switch (kind) {
            case COLA -> m.put("mcc", new MetricValue(BinaryClassification.mcc(gold, predicted), Double.NaN, n));
            case MRPC -> {
                m.put("acc", Aggregation.mean(correct));
                m.put("f1", new MetricValue(BinaryClassification.f1(gold, predicted), Double.NaN, n));
            }
            case STSB -> {
                boolean enough = n >= 2;
                m.put("pearson", new MetricValue(enough ? Correlation.pearson(goldScores, predictions) : Double.NaN,
                        Double.NaN, n));
                m.put("spearmanr", new MetricValue(enough ? Correlation.spearman(goldScores, predictions) : Double.NaN,
                        Double.NaN, n));
            }
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
        return 1.0;
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
        c.put("dataset_name", name());
        c.put("validation_split", "validation");
        c.put("doc_to_text", switch (kind) {
            case COLA -> "{{sentence}}\nQuestion: Does this sentence make sense?\nAnswer:";
            case MRPC -> "Sentence 1: {{sentence1}}\nSentence 2: {{sentence2}}\nQuestion: Do both sentences mean the "
                    + "same thing?\nAnswer:";
            case STSB -> "Sentence 1: {{sentence1}}\nSentence 2: {{sentence2}}\nQuestion: On a scale of 0 to 5, how "
                    + "similar are the two sentences?\nAnswer:";
        });
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
        c.put("metadata", Map.of("version", 1.0));
        return c;
    }

    private static List<GlueDoc> read(Kind kind, Path file) throws IOException {
        List<CsvRecord> records = CsvFile.readTsv(file);
        List<GlueDoc> docs = new ArrayList<>();
        if (kind == Kind.COLA) {
            // CoLA's files have no header: source, label, original mark, sentence
            for (CsvRecord r : records) {
                List<String> f = r.fields();
                if (f.size() != 4) {
                    throw new EvalDataException(file, r.line(), "has " + f.size() + " columns; CoLA rows are source, "
                            + "label, mark, sentence");
                }
                Map<String, String> fields = new LinkedHashMap<>();
                fields.put("sentence", f.get(3));
                fields.put("label", f.get(1));
                docs.add(new GlueDoc(docs.size(), f.get(3) + "\nQuestion: Does this sentence make sense?\nAnswer:",
                        label(file, r, f.get(1)), Double.NaN, fields));
            }
        } else {
            if (records.isEmpty()) {
                throw new EvalDataException(file, 0, "is empty");
            }
            List<String> header = records.getFirst().fields();
            boolean mrpc = kind == Kind.MRPC;
            String[] columns = mrpc ? new String[] {"#1 String", "#2 String", "Quality"}
                    : new String[] {"sentence1", "sentence2", "score"};
            int[] at = new int[3];
            for (int c = 0; c < 3; c++) {
                at[c] = header.indexOf(columns[c]);
                if (at[c] < 0) {
                    throw new EvalDataException(file, 1, "the header has no \"" + columns[c] + "\" column");
                }
            }
            for (CsvRecord r : records.subList(1, records.size())) {
                List<String> f = r.fields();
                if (f.size() != header.size()) {
                    throw new EvalDataException(file, r.line(), "has " + f.size() + " columns, the header "
                            + header.size());
                }
                String s1 = f.get(at[0]);
                String s2 = f.get(at[1]);
                Map<String, String> fields = new LinkedHashMap<>();
                fields.put("sentence1", s1);
                fields.put("sentence2", s2);
                fields.put("label", f.get(at[2]));
                String question = mrpc ? "Do both sentences mean the same thing?"
                        : "On a scale of 0 to 5, how similar are the two sentences?";
                String text = "Sentence 1: " + s1 + "\nSentence 2: " + s2 + "\nQuestion: " + question + "\nAnswer:";
                docs.add(mrpc ? new GlueDoc(docs.size(), text, label(file, r, f.get(at[2])), Double.NaN, fields)
                        : new GlueDoc(docs.size(), text, -1, score(file, r, f.get(at[2])), fields));
            }
        }
        if (docs.isEmpty()) {
            throw new EvalDataException(file, 0, "holds no examples");
        }
        return docs;
    }

    private static int label(Path file, CsvRecord r, String s) throws EvalDataException {
        return switch (s.strip()) {
            case "0" -> 0;
            case "1" -> 1;
            default -> throw new EvalDataException(file, r.line(), "the label \"" + s + "\" is not 0 or 1");
        };
    }

    private static double score(Path file, CsvRecord r, String s) throws EvalDataException {
        try {
            double v = Double.parseDouble(s.strip());
            if (v >= 0 && v <= 5) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new EvalDataException(file, r.line(), "the score \"" + s + "\" is not a number from 0 to 5");
    }
}
