package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.eval.data.CsvFile;
import dev.jllm.eval.data.CsvRecord;
import dev.jllm.eval.data.EvalDataException;
import dev.jllm.eval.scoring.HarnessRegex;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GPQA (Rein et al.) as the harness's {@code gpqa_{main,diamond,extended}_{zeroshot,n_shot,cot_zeroshot,cot_n_shot}}
 * tasks, and its {@code gpqa} tag (every variant of every subset present; the harness defines no GPQA group).
 *
 * <p>Each question's options are its three incorrect answers and the correct one, preprocessed, in that order, then
 * shuffled with Python's {@code random} as the harness's {@code process_docs} shuffles them, question after question
 * in file order: the zero-shot and chain-of-thought variants with the global generator, which the harness seeds
 * with its {@code random_seed} 0 before it builds tasks; {@code n_shot} with its module's {@code Random(42)},
 * whose documents the harness processes three times (for the few-shot check, the few-shot pool, and the evaluated
 * split, all the {@code train} split), so the pool is the second pass and the evaluated documents the third. This
 * is a run of one GPQA task with the harness's default seeds and a fresh {@code datasets} cache.
 *
 * <p>Data: the release's {@code gpqa_<subset>.csv} under {@code <data-dir>/gpqa/} or {@code <data-dir>/gpqa/dataset/},
 * with a header naming at least {@code Question}, {@code Correct Answer} and {@code Incorrect Answer 1..3}.
 */
public final class Gpqa {
    /** The tag of every variant. */
    public static final String TAG = "gpqa";
    /** The subsets, as the release names its files. */
    public static final List<String> SUBSETS = List.of("main", "diamond", "extended");
    /** The columns a file must have. */
    public static final List<String> COLUMNS = List.of("Question", "Correct Answer", "Incorrect Answer 1",
            "Incorrect Answer 2", "Incorrect Answer 3");
    /** The description line of the n-shot variants. */
    public static final String NSHOT_DESCRIPTION = "Here are some example questions from experts. Answer the final "
            + "question yourself, following the format of the previous questions exactly.\n";
    /** Records the chain-of-thought n-shot variant leaves out: two of its worked examples are these questions. */
    static final Set<String> COT_EXAMPLE_RECORDS = Set.of("recmwwQJnx7ll7bqL", "recIDiDKKrN61Auyr");

    /** The four prompt styles. */
    public enum Variant {
        /** Log-likelihood of each option label after "What is the correct answer to this question:". */
        ZEROSHOT("zeroshot", false),
        /** Log-likelihood after "Question: ...", with examples drawn from the same split. */
        N_SHOT("n_shot", false),
        /** Generated reasoning after "Let's think step by step: ", graded on the extracted label. */
        COT_ZEROSHOT("cot_zeroshot", true),
        /** Generated reasoning after five worked examples, graded on the extracted label. */
        COT_N_SHOT("cot_n_shot", true);

        /** The name's ending. */
        public final String suffix;
        /** Whether the variant generates. */
        public final boolean generates;

        Variant(String suffix, boolean generates) {
            this.suffix = suffix;
            this.generates = generates;
        }
    }

    private Gpqa() {
    }

    /** The task name of a subset and variant, e.g. {@code gpqa_diamond_cot_zeroshot}. */
    public static String taskName(String subset, Variant v) {
        return TAG + "_" + subset + "_" + v.suffix;
    }

    static boolean knows(String name) {
        return name.equals(TAG) || parse(name) != null;
    }

    /** {subset, variant} of a task name, or null. */
    private static Object[] parse(String name) {
        for (String s : SUBSETS) {
            for (Variant v : Variant.values()) {
                if (name.equals(taskName(s, v))) {
                    return new Object[] {s, v};
                }
            }
        }
        return null;
    }

    /**
     * The task {@code name}, or for the tag every variant of every subset whose file is present.
     *
     * @throws EvalDataException if a file is missing or malformed, or the tag finds no file
     */
    static List<TaskNode> resolve(String name, Path dataDir) throws IOException {
        List<TaskNode> out = new ArrayList<>();
        if (name.equals(TAG)) {
            for (String s : SUBSETS) {
                Path file = file(dataDir, s);
                if (Files.isRegularFile(file)) {
                    for (Variant v : Variant.values()) {
                        out.add(task(dataDir, s, v));
                    }
                }
            }
            if (out.isEmpty()) {
                throw new EvalDataException(dataDir.resolve(TAG), 0, "holds no GPQA file (gpqa_{main,diamond,extended}"
                        + ".csv)");
            }
            return out;
        }
        Object[] sv = parse(name);
        out.add(task(dataDir, (String) sv[0], (Variant) sv[1]));
        return out;
    }

    private static Path file(Path dataDir, String subset) {
        Path dir = dataDir.resolve(TAG);
        Path direct = dir.resolve("gpqa_" + subset + ".csv");
        Path nested = dir.resolve("dataset").resolve("gpqa_" + subset + ".csv");
        return Files.isRegularFile(direct) || !Files.isRegularFile(nested) ? direct : nested;
    }

    /** The task of one subset and variant over the data under {@code dataDir}. */
    static EvalTask task(Path dataDir, String subset, Variant v) throws IOException {
        Path file = file(dataDir, subset);
        if (!Files.isRegularFile(file)) {
            throw new EvalDataException(file, 0, "is missing (GPQA " + subset + "; also looked in "
                    + dataDir.resolve(TAG).resolve("dataset") + ")");
        }
        List<Map<String, String>> rows = read(file);
        String name = taskName(subset, v);
        return switch (v) {
            case ZEROSHOT -> {
                List<GpqaDoc> docs = process(rows, v, new PythonRandom(0));
                yield new GpqaChoiceTask(name, v, file.toString(), docs, docs);
            }
            case N_SHOT -> {
                PythonRandom rng = new PythonRandom(42);
                process(rows, v, rng);
                List<GpqaDoc> pool = process(rows, v, rng);
                yield new GpqaChoiceTask(name, v, file.toString(), process(rows, v, rng), pool);
            }
            case COT_ZEROSHOT -> {
                List<GpqaDoc> docs = process(rows, v, new PythonRandom(0));
                yield new GpqaCotTask(name, v, file.toString(), docs, List.of());
            }
            case COT_N_SHOT -> {
                List<Map<String, String>> kept = rows.stream()
                        .filter(r -> !COT_EXAMPLE_RECORDS.contains(r.getOrDefault("Record ID", ""))).toList();
                yield new GpqaCotTask(name, v, file.toString(), process(kept, v, new PythonRandom(0)), cotExamples());
            }
        };
    }

    /**
     * The rows of a GPQA CSV file by column name.
     *
     * @throws EvalDataException naming the file and the column when the header lacks one, or the line of a row whose
     *     field count differs from the header's
     */
    public static List<Map<String, String>> read(Path file) throws IOException {
        List<CsvRecord> records = CsvFile.read(file);
        if (records.isEmpty()) {
            throw new EvalDataException(file, 0, "is empty (a GPQA file has a header row)");
        }
        List<String> header = records.getFirst().fields();
        for (String c : COLUMNS) {
            if (!header.contains(c)) {
                throw new EvalDataException(file, records.getFirst().line(), "the header has no \"" + c + "\" column");
            }
        }
        List<Map<String, String>> rows = new ArrayList<>();
        for (CsvRecord r : records.subList(1, records.size())) {
            if (r.fields().size() != header.size()) {
                throw new EvalDataException(file, r.line(), "has " + r.fields().size() + " fields, the header "
                        + header.size());
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                row.put(header.get(i), r.fields().get(i));
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new EvalDataException(file, 0, "holds no questions");
        }
        return rows;
    }

    /**
     * One pass of the harness's {@code process_docs}: each row's preprocessed incorrect answers and correct answer,
     * in that order, shuffled by {@code rng}; the answer is the first option equal to the preprocessed correct one.
     */
    static List<GpqaDoc> process(List<Map<String, String>> rows, Variant v, PythonRandom rng) {
        List<GpqaDoc> docs = new ArrayList<>();
        for (Map<String, String> row : rows) {
            String correct = preprocess(v, row.get("Correct Answer"));
            List<String> choices = new ArrayList<>(List.of(preprocess(v, row.get("Incorrect Answer 1")),
                    preprocess(v, row.get("Incorrect Answer 2")), preprocess(v, row.get("Incorrect Answer 3")),
                    correct));
            rng.shuffle(choices);
            docs.add(new GpqaDoc(docs.size(), row.get("Question"), choices, choices.indexOf(correct), row));
        }
        return docs;
    }

    /**
     * The variant's {@code preprocess}: an empty cell (None to the harness) becomes one space; text is stripped;
     * the zero-shot variant turns {@code " [title]"} into {@code ". "} and double spaces into single ones, the
     * chain-of-thought variants also drop every {@code [...]} first; {@code n_shot} only strips.
     */
    static String preprocess(Variant v, String text) {
        if (text == null || text.isEmpty()) {
            return " ";
        }
        String s = PythonText.strip(text);
        if (v == Variant.N_SHOT) {
            return s;
        }
        s = s.replace(" [title]", ". ");
        if (v.generates) {
            s = HarnessRegex.removeAll(HarnessRegex.compile("\\[.*?\\]"), s);
        }
        return s.replace("  ", " ");
    }

    /** The question as a variant's {@code doc_to_text} writes it, without the cue that ends it. */
    static String body(Variant v, String question, List<String> choices) {
        String q = switch (v) {
            case ZEROSHOT, COT_ZEROSHOT -> "What is the correct answer to this question:" + question;
            case N_SHOT -> "Question: " + question;
            case COT_N_SHOT -> "Question: " + PythonText.strip(question);
        };
        StringBuilder b = new StringBuilder(q).append("\nChoices:");
        for (int i = 0; i < choices.size(); i++) {
            b.append("\n(").append((char) ('A' + i)).append(") ").append(choices.get(i));
        }
        return b.toString();
    }

    /** The five worked examples of the chain-of-thought n-shot variant, with their reasoning as the answer text. */
    static List<GpqaCotTask.Example> cotExamples() {
        try (InputStream in = Gpqa.class.getResourceAsStream("gpqa-cot-fewshot.json")) {
            JsonNode samples = new ObjectMapper().readTree(in).get("samples");
            List<GpqaCotTask.Example> out = new ArrayList<>();
            for (JsonNode s : samples) {
                out.add(new GpqaCotTask.Example(s.get("Question").asText(), List.of(s.get("choice1").asText(),
                        s.get("choice2").asText(), s.get("choice3").asText(), s.get("choice4").asText()),
                        s.get("answer").asText()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("the bundled GPQA worked examples cannot be read", e);
        }
    }
}
