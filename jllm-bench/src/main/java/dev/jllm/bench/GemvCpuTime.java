package dev.jllm.bench;

import dev.jllm.core.linalg.MatVec;
import dev.jllm.core.linalg.RandomWeights;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Single-threaded GEMV throughput timed by the calling thread's CPU time as well as by the wall
 * clock, for A/B comparisons of kernels on a machine shared with other work: time the thread
 * spends descheduled does not count, so alternate runs of two builds compare far more steadily
 * than wall-clock figures do (memory traffic of other processes still counts).
 *
 * <p>Arguments: {@code TYPE[,TYPE...] ROWS COLS FOOTPRINT_MIB [WARMUP_S [SECONDS]]}. The GEMVs
 * cycle through copies of one matrix filling the footprint (1 MiB keeps a 256×4096 Q8_0 matrix in
 * L2; 1024 MiB streams from memory). Prints, per type, GB/s of weights by the median and the 10th
 * percentile time of batches of ten GEMVs. Run one type per JVM for figures that do not depend
 * on which kernels ran before.
 */
public final class GemvCpuTime {
    private static final int BATCH = 10;

    private GemvCpuTime() {
    }

    /** Runs the measurement; see the class comment for the arguments. */
    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: GemvCpuTime TYPE[,TYPE...] ROWS COLS FOOTPRINT_MIB [WARMUP_S [SECONDS]]");
            System.exit(2);
        }
        int rows = Integer.parseInt(args[1]);
        int cols = Integer.parseInt(args[2]);
        long footprint = Long.parseLong(args[3]) << 20;
        double warmup = args.length > 4 ? Double.parseDouble(args[4]) : 8;
        double seconds = args.length > 5 ? Double.parseDouble(args[5]) : 2;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared()) {
            Random rnd = new Random(2);
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] y = new float[rows];
            for (String name : args[0].split(",")) {
                DType type = DType.valueOf(name.trim());
                WeightKernel kernel = WeightKernels.simd(type);
                Tensor first = RandomWeights.gaussian(arena, type, rows, cols, 1, Math.min(rows, 64));
                long bytes = first.data().byteSize();
                Tensor[] copies = new Tensor[(int) Math.max(1, footprint / bytes)];
                copies[0] = first;
                for (int i = 1; i < copies.length; i++) {
                    MemorySegment seg = arena.allocate(bytes, 64);
                    seg.copyFrom(first.data());
                    copies[i] = Tensor.wrap(type, seg, rows, cols);
                }
                int next = 0;
                long end = System.nanoTime() + (long) (warmup * 1e9);
                while (System.nanoTime() < end) {
                    MatVec.multiply(pool, kernel, copies[next++ % copies.length], x, 0, y, 0);
                }
                long[] wall = new long[1 << 16];
                long[] cpu = new long[wall.length];
                int n = 0;
                end = System.nanoTime() + (long) (seconds * 1e9);
                while (System.nanoTime() < end && n < wall.length) {
                    long c0 = threads.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    for (int b = 0; b < BATCH; b++) {
                        MatVec.multiply(pool, kernel, copies[next++ % copies.length], x, 0, y, 0);
                    }
                    wall[n] = (System.nanoTime() - t0) / BATCH;
                    cpu[n++] = (threads.getCurrentThreadCpuTime() - c0) / BATCH;
                }
                long[] w = Arrays.copyOf(wall, n);
                long[] c = Arrays.copyOf(cpu, n);
                Arrays.sort(w);
                Arrays.sort(c);
                System.out.printf(Locale.ROOT, "%-5s %dx%d footprint %d MiB: cpu median %.2f p10 %.2f GB/s,"
                                + " wall median %.2f p10 %.2f GB/s (%d batches)%n", type, rows, cols, footprint >> 20,
                        bytes / (double) c[n / 2], bytes / (double) c[n / 10],
                        bytes / (double) w[n / 2], bytes / (double) w[n / 10], n);
            }
        }
    }
}
