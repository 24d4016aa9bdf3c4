package dev.jllm.cli.bench;

import dev.jllm.core.linalg.InterleavedMatrix;
import dev.jllm.core.linalg.MatVec;
import dev.jllm.core.linalg.MemoryBandwidth;
import dev.jllm.core.linalg.RandomWeights;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.HugePages;
import dev.jllm.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * GEMV throughput of weight types beside memory bandwidth measured in the same run.
 *
 * <p>For every thread count, a read pass and a triad over a buffer of {@code memoryBytes} (by
 * default four times the last-level cache) give the memory roofline. Then, for every type and
 * size, enough copies of a random weight matrix to fill the same footprint are made, and GEMVs
 * cycle through the copies so weights come from memory, as they do in a decode step, rather than
 * from cache. Throughput is weight bytes over the median time of one GEMV.
 */
public final class KernelBenchmark {

    /**
     * What to measure: {@code kernels} gives the kernels of each type (normally
     * {@link WeightKernels#simd}).
     */
    public record Config(List<DType> types, List<int[]> sizes, List<Integer> threads,
                         double seconds, long memoryBytes, Function<DType, WeightKernel> kernels) {
    }

    /** Memory bandwidth at one thread count, in GB/s (10⁹ bytes per second). */
    public record Bandwidth(int threads, double readGbps, double triadGbps) {
    }

    /**
     * One GEMV measurement; {@code repacked} when it ran on an interleaved copy ({@link InterleavedMatrix}: Q8_0,
     * Q4_0, Q5_0, Q4_K, Q5_K or Q6_K, as the decoder runs them by default), whose bytes are the weight bytes counted.
     */
    public record Result(DType type, boolean repacked, int rows, int cols, int threads, long weightBytes,
                         double medianMicros, double gbps, Bandwidth bandwidth) {
        /** GEMV throughput as a percentage of the read bandwidth. */
        public double percentOfRead() {
            return 100 * gbps / bandwidth.readGbps();
        }
    }

    private KernelBenchmark() {
    }

    /**
     * Runs the benchmark, handing each result to {@code sink} as it is measured and each skipped
     * combination's reason to {@code notes}.
     */
    public static void run(Config config, Consumer<Bandwidth> bandwidthSink, Consumer<Result> sink,
                           Consumer<String> notes) {
        Map<Integer, WorkerPool> pools = new LinkedHashMap<>();
        try {
            for (int t : config.threads()) {
                pools.put(t, new WorkerPool(t));
            }
            // the copies' kernels compiled first, in the order asked, as a decoder loading a model does
            InterleavedMatrix.warmUp(config.types());
            Map<Integer, Bandwidth> bandwidth = new LinkedHashMap<>();
            try (Arena arena = Arena.ofShared()) {
                long third = Math.max(64, config.memoryBytes() / 3 / 64 * 64);
                // on huge pages, as the copies the products read
                MemorySegment buffer = HugePages.allocate(arena, 3 * third);
                buffer.fill((byte) 0x3F); // 0x3F3F3F3F is a normal float: no denormal slow paths in the sum
                for (var e : pools.entrySet()) {
                    Bandwidth b = measureBandwidth(e.getValue(), buffer, third, config.seconds());
                    bandwidth.put(e.getKey(), b);
                    bandwidthSink.accept(b);
                }
            }
            for (DType type : config.types()) {
                for (int[] size : config.sizes()) {
                    int rows = size[0];
                    int cols = size[1];
                    if (cols % type.blockSize() != 0) {
                        notes.accept("skipping " + type + " " + rows + "x" + cols + ": " + cols
                                + " columns is not a multiple of the block size " + type.blockSize());
                        continue;
                    }
                    measureGemv(type, rows, cols, config, pools, bandwidth, sink);
                }
            }
        } finally {
            pools.values().forEach(WorkerPool::close);
        }
    }

    private static Bandwidth measureBandwidth(WorkerPool pool, MemorySegment buffer, long third, double seconds) {
        double[] sink = new double[1]; // the read sums land here so the reads are not dead code
        sink[0] += MemoryBandwidth.warmUp(pool);
        long readNanos = MedianTimer.medianNanos(() -> sink[0] += MemoryBandwidth.read(pool, buffer),
                seconds / 4, seconds, 3);
        MemorySegment a = buffer.asSlice(0, third);
        MemorySegment b = buffer.asSlice(third, third);
        MemorySegment c = buffer.asSlice(2 * third, third);
        long triadNanos = MedianTimer.medianNanos(() -> MemoryBandwidth.triad(pool, a, b, c, 0.5f),
                seconds / 4, seconds, 3);
        return new Bandwidth(pool.threads(), buffer.byteSize() / (double) readNanos, 3.0 * third / triadNanos);
    }

    /** Untimed GEMVs before the first measurement of each type and shape (at most 4 × --seconds). */
    private static final double JIT_WARMUP_SECONDS = Double.parseDouble(
            System.getProperty("jllm.bench.warmupSeconds", "1.0"));

    private static void measureGemv(DType type, int rows, int cols, Config config, Map<Integer, WorkerPool> pools,
                                    Map<Integer, Bandwidth> bandwidth, Consumer<Result> sink) {
        WeightKernel kernel = config.kernels().apply(type);
        try (Arena arena = Arena.ofShared()) {
            Tensor first = RandomWeights.gaussian(arena, type, rows, cols, 42, Math.min(rows, 64));
            long bytes = first.data().byteSize();
            int copies = (int) Math.max(1, Math.min(4096, (config.memoryBytes() + bytes - 1) / Math.max(1, bytes)));
            Tensor[] ws = new Tensor[copies];
            ws[0] = first;
            for (int i = 1; i < copies; i++) {
                MemorySegment seg = HugePages.allocate(arena, bytes);
                seg.copyFrom(first.data());
                ws[i] = Tensor.wrap(type, seg, rows, cols);
            }
            float[] x = new float[cols];
            Random rnd = new Random(7);
            for (int i = 0; i < cols; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] y = new float[rows];
            // the large quantized dot kernels need about a second before C2's final code is in place
            double warmup = Math.max(Math.min(JIT_WARMUP_SECONDS, config.seconds() * 4), config.seconds() / 3);
            for (var e : pools.entrySet()) {
                WorkerPool pool = e.getValue();
                int[] next = new int[1];
                long nanos = MedianTimer.medianNanos(() -> {
                    MatVec.multiply(pool, kernel, ws[next[0]], x, 0, y, 0);
                    next[0] = (next[0] + 1) % copies;
                }, warmup, config.seconds(), 5);
                warmup = config.seconds() / 3;
                sink.accept(new Result(type, false, rows, cols, e.getKey(), bytes, nanos / 1e3,
                        bytes / (double) nanos, bandwidth.get(e.getKey())));
            }
            if (InterleavedMatrix.supports(first)) {
                measureRepacked(ws, x, y, config, pools, bandwidth, sink);
                // the copies' mapped memory is released when they are collected, and nothing else would prompt it
                System.gc();
            }
        }
    }

    /** The single-token integer product on interleaved copies of {@code ws}, as the decoder runs it by default. */
    private static void measureRepacked(Tensor[] ws, float[] x, float[] y, Config config,
                                        Map<Integer, WorkerPool> pools, Map<Integer, Bandwidth> bandwidth,
                                        Consumer<Result> sink) {
        Runnable[] products = new Runnable[ws.length];
        WorkerPool[] current = new WorkerPool[1];
        for (int i = 0; i < ws.length; i++) {
            InterleavedMatrix copy = InterleavedMatrix.of(ws[i], null, false);
            products[i] = () -> copy.multiplyQuantized(current[0], x, 0, y, 0);
        }
        long bytes = InterleavedMatrix.bytes(ws[0]);
        double warmup = Math.max(Math.min(JIT_WARMUP_SECONDS, config.seconds() * 4), config.seconds() / 3);
        for (var e : pools.entrySet()) {
            current[0] = e.getValue();
            int[] next = new int[1];
            long nanos = MedianTimer.medianNanos(() -> {
                products[next[0]].run();
                next[0] = (next[0] + 1) % products.length;
            }, warmup, config.seconds(), 5);
            warmup = config.seconds() / 3;
            sink.accept(new Result(ws[0].type(), true, (int) ws[0].rows(), (int) ws[0].cols(), e.getKey(), bytes,
                    nanos / 1e3, bytes / (double) nanos, bandwidth.get(e.getKey())));
        }
    }

    /**
     * Size of the last-level cache from Linux's sysfs, or 32 MiB when it cannot be read; the
     * default footprint is four times this.
     */
    public static long lastLevelCacheBytes() {
        for (int index = 3; index >= 2; index--) {
            Path p = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + index + "/size");
            try {
                String s = Files.readString(p).trim().toUpperCase(java.util.Locale.ROOT);
                long unit = s.endsWith("K") ? 1024 : s.endsWith("M") ? 1024 * 1024 : 1;
                String digits = s.replaceAll("[^0-9]", "");
                if (!digits.isEmpty()) {
                    return Long.parseLong(digits) * unit;
                }
            } catch (IOException | RuntimeException e) {
                // not Linux or no such cache level: try the next one
            }
        }
        return 32L << 20;
    }
}
