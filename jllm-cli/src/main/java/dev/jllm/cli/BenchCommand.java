package dev.jllm.cli;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.runtime.Generator;
import dev.jllm.runtime.bench.DecodeBound;
import dev.jllm.runtime.bench.ThroughputBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm bench}: prompt processing and generation speed of a model, as llama-bench reports them. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Prompt processing (pp) and token generation (tg) speed of a model in tokens/s.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "512", paramLabel = "N",
            description = "Prompt tokens of the pp test, 0 to skip it (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = {"-n", "--gen-tokens"}, defaultValue = "128", paramLabel = "N",
            description = "Generated tokens of the tg test, 0 to skip it (default: ${DEFAULT-VALUE}).")
    int generateTokens;

    @Option(names = {"-d", "--depth"}, defaultValue = "0", paramLabel = "N",
            description = "Tokens already in the context when each test starts, as llama-bench's -d "
                    + "(default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", paramLabel = "N",
            description = "Timed repetitions of each test (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--json", description = "One JSON object with threads, pp_tps, pp_sd, tg_tps, tg_sd, ttft_ms, "
            + "load_ms, peak_rss_mb.")
    boolean json;

    @Option(names = "--bound-mib", defaultValue = "1024", paramLabel = "MIB",
            description = "Buffer for the read-bandwidth pass that sets the decode bound, 0 to skip it "
                    + "(default: ${DEFAULT-VALUE}).")
    long boundMib;

    @Override
    public Integer call() throws IOException {
        int threads = model.threadCount();
        long start = System.nanoTime();
        try (LoadedModel loaded = model.open(); WorkerPool pool = new WorkerPool(threads);
                Generator generator = model.generator(loaded, pool)) {
            double loadMs = (System.nanoTime() - start) / 1e6;
            ThroughputBenchmark.Result r = ThroughputBenchmark.run(generator, promptTokens, generateTokens,
                    depth, repetitions, 42);
            // the peak before the bandwidth pass, whose buffer is not the model's
            double rssMb = ProcessMemory.peakRssBytes() / (1024.0 * 1024.0);
            long bytesPerToken = DecodeBound.weightBytesPerToken(loaded.weights());
            double readGbps = boundMib > 0 ? DecodeBound.measureReadGbps(pool, boundMib << 20) : 0;
            double boundTps = readGbps * 1e9 / bytesPerToken;
            // matrix FLOPs only: attention adds 4·context·width per token and layer, small at these lengths
            double ppGflops = 2.0 * DecodeBound.matrixParameters(loaded.weights()) * r.ppTokensPerSecond() / 1e9;
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.printf(Locale.ROOT, "{\"model\": \"%s\", \"threads\": %d, \"pp\": %d, \"tg\": %d, \"depth\": %d, \"pp_tps\": %.3f, "
                        + "\"pp_sd\": %.3f, \"tg_tps\": %.3f, \"tg_sd\": %.3f, \"ttft_ms\": %.3f, \"load_ms\": %.3f, "
                        + "\"peak_rss_mb\": %.1f, \"weight_bytes_per_token\": %d, \"read_gbps\": %.2f, \"tg_bound_tps\": %.3f, \"pp_gflops\": %.1f}%n", jsonEscape(loaded.source().getFileName().toString()), threads,
                        promptTokens, generateTokens, depth, r.ppTokensPerSecond(), r.ppSd(), r.tgTokensPerSecond(),
                        r.tgSd(), r.timeToFirstTokenMs(), loadMs, rssMb, bytesPerToken, readGbps, boundTps, ppGflops);
            } else {
                out.printf(Locale.ROOT, "model %s (%s, %s), %d thread%s, cache %s%n", loaded.source().getFileName(),
                        loaded.config().architecture(), loaded.format(), threads, threads == 1 ? "" : "s",
                        model.cacheDType());
                if (promptTokens > 0) {
                    out.printf(Locale.ROOT, "%-7s %10.2f ± %.2f tokens/s   %.1f GFLOP/s in matrices, time to "
                            + "first token %.1f ms%n", "pp" + promptTokens + at(depth), r.ppTokensPerSecond(), r.ppSd(),
                            ppGflops, r.timeToFirstTokenMs());
                }
                if (generateTokens > 0) {
                    out.printf(Locale.ROOT, "%-7s %10.2f ± %.2f tokens/s%n", "tg" + generateTokens + at(depth),
                            r.tgTokensPerSecond(), r.tgSd());
                    if (readGbps > 0) {
                        out.printf(Locale.ROOT, "tg bound %.2f tokens/s (%.1f MB read per token at %.1f GB/s), "
                                + "reached %.0f%%%n", boundTps, bytesPerToken / 1e6, readGbps,
                                100 * r.tgTokensPerSecond() / boundTps);
                    }
                }
                out.printf(Locale.ROOT, "load %.1f ms, peak RSS %.1f MB, file %.1f MB%n", loadMs, rssMb,
                        loaded.fileBytes() / (1024.0 * 1024.0));
            }
            out.flush();
        }
        return 0;
    }

    /** llama-bench's label of a test at a depth: {@code " @ d512"}. */
    private static String at(int depth) {
        return depth > 0 ? " @ d" + depth : "";
    }

    private static String jsonEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
