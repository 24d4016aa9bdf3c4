package dev.jllm.cli;

import dev.jllm.cli.bench.KernelBenchmark;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm bench-kernels}: GEMV throughput of every weight type in GB/s of weights read, beside
 * the read and triad memory bandwidth measured in the same run at the same thread count.
 */
@Command(name = "bench-kernels", mixinStandardHelpOptions = true,
        description = "GEMV throughput of every weight type beside measured memory bandwidth.")
final class BenchKernelsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "One JSON object per line instead of a table, with keys type, layout "
            + "(file, or repacked: the interleaved copy of Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K or "
            + "Q6_K, which decoding runs by default), rows, cols, threads, gbps, bandwidth_gbps (the read bandwidth), read_gbps, "
            + "triad_gbps, pct, median_us, weight_bytes.")
    boolean json;

    @Option(names = {"-t", "--threads"}, split = ",", defaultValue = "1,2", paramLabel = "N",
            description = "Thread counts to measure (default: ${DEFAULT-VALUE}).")
    List<Integer> threads;

    @Option(names = "--types", split = ",", paramLabel = "TYPE",
            description = "Weight types (default: every type that has kernels).")
    List<String> types;

    @Option(names = "--sizes", split = ",", defaultValue = "4096x4096,11008x4096", paramLabel = "ROWSxCOLS",
            description = "Matrix shapes, rows x columns (default: ${DEFAULT-VALUE}).")
    List<String> sizes;

    @Option(names = "--seconds", defaultValue = "0.3", paramLabel = "S",
            description = "Timed seconds per measurement, after a warm-up of a third of that "
                    + "(default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--memory-mib", paramLabel = "MIB",
            description = "Footprint of the bandwidth buffer and of the weight copies a GEMV cycles through "
                    + "(default: 4 x the last-level cache, at least 1024).")
    Long memoryMib;

    @Override
    public Integer call() {
        KernelBenchmark.Config config = config();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (config.types().isEmpty()) {
            err.println("jllm: no weight type has kernels yet; nothing to measure");
            err.flush();
            return 0;
        }
        if (!json) {
            out.printf(Locale.ROOT, "memory footprint %d MiB, %d types, %.2f s per measurement%n",
                    config.memoryBytes() >> 20, config.types().size(), config.seconds());
            out.flush();
        }
        List<KernelBenchmark.Result> results = new ArrayList<>();
        KernelBenchmark.run(config, b -> {
            if (!json) {
                out.printf(Locale.ROOT, "bandwidth, %d thread%s: read %.1f GB/s, triad %.1f GB/s%n",
                        b.threads(), b.threads() == 1 ? "" : "s", b.readGbps(), b.triadGbps());
                out.flush();
            }
        }, r -> {
            if (json) {
                out.println(toJson(r));
                out.flush();
            } else {
                results.add(r);
            }
        }, note -> {
            err.println("jllm: " + note);
            err.flush();
        });
        if (!json) {
            printTable(out, results);
        }
        out.flush();
        return 0;
    }

    private KernelBenchmark.Config config() {
        if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1)) {
            throw new IllegalArgumentException("--threads needs counts of at least 1, got " + threads);
        }
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("--seconds must be positive, got " + seconds);
        }
        List<DType> chosen = new ArrayList<>();
        if (types == null) {
            for (DType t : DType.values()) {
                if (WeightKernels.hasKernels(t)) {
                    chosen.add(t);
                }
            }
        } else {
            for (String name : types) {
                DType t = parseType(name);
                if (!WeightKernels.hasKernels(t)) {
                    throw new IllegalArgumentException("no kernels for weight type " + t);
                }
                chosen.add(t);
            }
        }
        List<int[]> shapes = new ArrayList<>();
        for (String s : sizes) {
            String[] parts = s.toLowerCase(Locale.ROOT).split("x");
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                int rows = Integer.parseInt(parts[0].trim());
                int cols = Integer.parseInt(parts[1].trim());
                if (rows < 1 || cols < 1) {
                    throw new NumberFormatException();
                }
                shapes.add(new int[] {rows, cols});
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--sizes wants ROWSxCOLS with positive numbers, got '" + s + "'");
            }
        }
        long memory = memoryMib != null ? memoryMib << 20
                : Math.max(1024L << 20, 4 * KernelBenchmark.lastLevelCacheBytes());
        if (memory < 1) {
            throw new IllegalArgumentException("--memory-mib must be positive, got " + memoryMib);
        }
        return new KernelBenchmark.Config(chosen, shapes, threads, seconds, memory, WeightKernels::simd);
    }

    private static DType parseType(String name) {
        try {
            return DType.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown weight type '" + name + "' (known: "
                    + java.util.Arrays.toString(DType.values()) + ")");
        }
    }

    private static String toJson(KernelBenchmark.Result r) {
        return String.format(Locale.ROOT,
                "{\"type\":\"%s\",\"layout\":\"%s\",\"rows\":%d,\"cols\":%d,\"threads\":%d,\"gbps\":%.6g,"
                        + "\"bandwidth_gbps\":%.6g,\"read_gbps\":%.6g,\"triad_gbps\":%.6g,\"pct\":%.4g,\"median_us\":%.6g,"
                        + "\"weight_bytes\":%d}",
                r.type(), r.repacked() ? "repacked" : "file", r.rows(), r.cols(), r.threads(), r.gbps(),
                r.bandwidth().readGbps(),
                r.bandwidth().readGbps(), r.bandwidth().triadGbps(), r.percentOfRead(), r.medianMicros(),
                r.weightBytes());
    }

    private static void printTable(PrintWriter out, List<KernelBenchmark.Result> results) {
        String header = String.format(Locale.ROOT, "%-15s %12s %7s %10s %11s %8s %10s %7s %10s",
                "type", "rows x cols", "threads", "MiB", "median us", "GB/s", "read GB/s", "% read", "triad GB/s");
        out.println(header);
        out.println("-".repeat(header.length()));
        for (KernelBenchmark.Result r : results) {
            out.printf(Locale.ROOT, "%-15s %12s %7d %10.1f %11.1f %8.2f %10.2f %6.1f%% %10.2f%n",
                    r.type() + (r.repacked() ? " repacked" : ""), r.rows() + "x" + r.cols(), r.threads(),
                    r.weightBytes() / 1048576.0, r.medianMicros(),
                    r.gbps(), r.bandwidth().readGbps(), r.percentOfRead(), r.bandwidth().triadGbps());
        }
    }
}
