package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.cli.bench.EnglishText;
import dev.jllm.formats.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm bench-tokenizer -m MODEL}: encoding speed of a tokenizer on one thread, in MB of UTF-8
 * input per second. Cold passes each use a freshly loaded tokenizer (empty word cache); warm passes
 * reuse one whose cache a previous pass filled. One untimed pass first warms up the JIT.
 */
@Command(name = "bench-tokenizer", mixinStandardHelpOptions = true,
        description = {"Measure a tokenizer's encoding speed on one thread (MB/s of UTF-8 input, MB = 10^6 bytes).",
            "Cold: a freshly loaded tokenizer per pass (empty word cache). Warm: the same tokenizer again."})
final class BenchTokenizerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "A tokenizer file or model folder, as for 'jllm tokenize'.")
    Path model;

    @Option(names = "--input", paramLabel = "FILE",
            description = "UTF-8 text to encode, line by line (default: built-in public-domain English text).")
    Path input;

    @Option(names = "--bytes", paramLabel = "N", defaultValue = "1000000",
            description = "Size of the built-in text in bytes (default: ${DEFAULT-VALUE}).")
    int bytes;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "10",
            description = "Time to spend measuring, split between cold and warm passes (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    /** At least this many passes of each kind are timed, whatever --seconds says. */
    private static final int MIN_PASSES = 3;

    @Override
    public Integer call() throws IOException {
        if (!(seconds >= 0) || seconds > 86_400) {
            throw new IllegalArgumentException("--seconds must lie in [0, 86400], is " + seconds);
        }
        String text;
        String source;
        if (input != null) {
            if (!Files.isRegularFile(input)) {
                throw new NoSuchFileException(input.toString());
            }
            text = Files.readString(input, StandardCharsets.UTF_8);
            source = input.toString();
        } else {
            text = EnglishText.generate(bytes);
            source = "built-in English text";
        }
        List<String> lines = splitLines(text);
        long utf8Bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (utf8Bytes == 0) {
            throw new IllegalArgumentException("the input " + source + " is empty");
        }

        Tokenizer tokenizer = TokenizeCommand.load(model);
        long tokens = encodeAll(tokenizer, lines); // untimed: the JIT compiles the encoder here
        long[] cold = new long[0];
        long coldEnd = System.nanoTime() + (long) (seconds * 0.5e9);
        while (cold.length < MIN_PASSES || System.nanoTime() < coldEnd) {
            Tokenizer fresh = TokenizeCommand.load(model);
            System.gc(); // so the garbage of loading is not collected inside the timed pass
            long t0 = System.nanoTime();
            encodeAll(fresh, lines);
            cold = append(cold, System.nanoTime() - t0);
            tokenizer = fresh;
        }
        long[] warm = new long[0];
        System.gc();
        long warmEnd = System.nanoTime() + (long) (seconds * 0.5e9);
        while (warm.length < MIN_PASSES || System.nanoTime() < warmEnd) {
            long t0 = System.nanoTime();
            encodeAll(tokenizer, lines);
            warm = append(warm, System.nanoTime() - t0);
        }

        ObjectNode report = new ObjectMapper().createObjectNode();
        report.put("model", model.toString());
        report.put("tokenizer", tokenizer.getClass().getSimpleName());
        report.put("vocab_size", tokenizer.vocabSize());
        report.put("input", source);
        report.put("bytes", utf8Bytes);
        report.put("lines", lines.size());
        report.put("tokens", tokens);
        report.put("bytes_per_token", round(utf8Bytes / (double) Math.max(1, tokens), 3));
        report.put("threads", 1);
        passes(report.putObject("cold"), cold, utf8Bytes);
        passes(report.putObject("warm"), warm, utf8Bytes);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(report);
        } else {
            out.printf(Locale.ROOT, "tokenizer: %s (%s, %d ids)%n", model, report.get("tokenizer").asText(),
                    tokenizer.vocabSize());
            out.printf(Locale.ROOT, "input:     %s, %d bytes in %d lines, %d tokens (%.2f bytes/token)%n", source,
                    utf8Bytes, lines.size(), tokens, report.get("bytes_per_token").asDouble());
            printPasses(out, "cold (fresh tokenizer)", report.get("cold"));
            printPasses(out, "warm (word cache full)", report.get("warm"));
        }
        out.flush();
        return 0;
    }

    /** Lines with their newline kept, so the encoded text is exactly the input. */
    static List<String> splitLines(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl + 1;
            lines.add(text.substring(start, end));
            start = end;
        }
        return lines;
    }

    private static long encodeAll(Tokenizer tokenizer, List<String> lines) {
        long n = 0;
        for (String line : lines) {
            n += tokenizer.encode(line, false).length;
        }
        return n;
    }

    private static long[] append(long[] a, long v) {
        long[] b = Arrays.copyOf(a, a.length + 1);
        b[a.length] = v;
        return b;
    }

    private static void passes(ObjectNode node, long[] nanos, long bytes) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        node.put("passes", sorted.length);
        node.put("best_mb_per_s", round(bytes * 1e3 / sorted[0], 2));
        node.put("median_mb_per_s", round(bytes * 1e3 / sorted[sorted.length / 2], 2));
        node.put("best_ms", round(sorted[0] / 1e6, 3));
        node.put("median_ms", round(sorted[sorted.length / 2] / 1e6, 3));
    }

    private static void printPasses(PrintWriter out, String label, com.fasterxml.jackson.databind.JsonNode n) {
        out.printf(Locale.ROOT, "%-23s best %8.2f MB/s, median %8.2f MB/s over %d passes%n", label + ":",
                n.get("best_mb_per_s").asDouble(), n.get("median_mb_per_s").asDouble(), n.get("passes").asInt());
    }

    private static double round(double v, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(v * scale) / scale;
    }
}
