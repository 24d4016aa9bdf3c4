package dev.jllm.eval.task;

import dev.jllm.eval.data.CsvFile;
import dev.jllm.eval.data.EvalDataException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Perplexity of text files as the harness's {@code loglikelihood_rolling} tasks (wikitext) report it: each file is
 * one document scored token by token in rolling windows; {@code word_perplexity} is
 * {@code exp(-Σ loglikelihood / Σ words)}, {@code byte_perplexity} {@code exp(-Σ loglikelihood / Σ bytes)} and
 * {@code bits_per_byte} {@code -Σ loglikelihood / Σ bytes / ln 2}, words counted as the pieces of a split at runs
 * of whitespace and bytes as UTF-8 bytes.
 *
 * <p>{@code perplexity} reads every {@code *.txt} under {@code <data-dir>/perplexity/}; {@code perplexity:FILE}
 * reads one file.
 */
public final class PerplexityTask implements EvalTask {
    /** The task name. */
    public static final String NAME = "perplexity";
    /** The metrics, in order. */
    public static final List<String> METRICS = List.of("word_perplexity", "byte_perplexity", "bits_per_byte");

    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    private final String source;
    private final List<TextDoc> docs;

    /** A task over texts read from {@code source}. */
    public PerplexityTask(String source, List<TextDoc> docs) {
        this.source = source;
        this.docs = List.copyOf(docs);
    }

    static boolean knows(String name) {
        return name.equals(NAME) || name.startsWith(NAME + ":");
    }

    /**
     * The task named {@code name}: {@code perplexity} over {@code <dataDir>/perplexity/*.txt}, or
     * {@code perplexity:FILE}.
     *
     * @throws EvalDataException if there is no text, or a file is not UTF-8
     */
    static PerplexityTask resolve(String name, Path dataDir) throws IOException {
        List<Path> files = new ArrayList<>();
        String source;
        if (name.startsWith(NAME + ":")) {
            Path file = Path.of(name.substring(NAME.length() + 1));
            if (!Files.isRegularFile(file)) {
                throw new EvalDataException(file, 0, "is not a file (perplexity:FILE names a text file)");
            }
            files.add(file);
            source = file.toString();
        } else {
            Path dir = dataDir.resolve(NAME);
            if (!Files.isDirectory(dir)) {
                throw new EvalDataException(dir, 0, "is not a folder of .txt files (or name one: perplexity:FILE)");
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".txt") && Files.isRegularFile(p)).sorted()
                        .forEach(files::add);
            }
            if (files.isEmpty()) {
                throw new EvalDataException(dir, 0, "holds no .txt file");
            }
            source = dir.toString();
        }
        List<TextDoc> docs = new ArrayList<>();
        for (Path f : files) {
            String text = CsvFile.text(f);
            if (text.isEmpty()) {
                throw new EvalDataException(f, 0, "is empty");
            }
            docs.add(new TextDoc(f.getFileName().toString(), text));
        }
        return new PerplexityTask(source, docs);
    }

    /** The texts. */
    public List<TextDoc> docs() {
        return docs;
    }

    /** Words in a text as the harness counts them: the pieces of a split at runs of whitespace. */
    public static int words(String text) {
        return WHITESPACE.split(text, -1).length;
    }

    /** UTF-8 bytes in a text. */
    public static int bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * The metrics of documents whose log-likelihoods, word and byte counts are given.
     *
     * @return word_perplexity, byte_perplexity, bits_per_byte
     */
    public static Map<String, Double> aggregate(double[] logLikelihoods, int[] words, int[] bytes) {
        double ll = 0;
        double w = 0;
        double b = 0;
        for (int i = 0; i < logLikelihoods.length; i++) {
            ll += logLikelihoods[i];
            w += words[i];
            b += bytes[i];
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("word_perplexity", Math.exp(-ll / w));
        m.put("byte_perplexity", Math.exp(-ll / b));
        m.put("bits_per_byte", -ll / b / Math.log(2));
        return m;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String alias() {
        return NAME;
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
        return METRICS;
    }

    @Override
    public Map<String, Object> config(int shots) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("task", NAME);
        c.put("dataset_path", source);
        c.put("test_split", "test");
        c.put("doc_to_text", "");
        c.put("doc_to_target", "{{text}}");
        c.put("num_fewshot", 0);
        List<Map<String, Object>> metricList = new ArrayList<>();
        for (String metric : METRICS) {
            metricList.add(new LinkedHashMap<>(Map.of("metric", metric, "higher_is_better", false)));
        }
        c.put("metric_list", metricList);
        c.put("output_type", "loglikelihood_rolling");
        c.put("metadata", Map.of("version", 1.0));
        return c;
    }
}
