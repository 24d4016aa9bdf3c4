import dev.jllm.core.linalg.InterleavedMatrix;
import dev.jllm.core.linalg.RandomWeights;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

/**
 * One side of an A/B of the single-token kernels: repacked copies of one random matrix, enough to fill a footprint,
 * multiplied in turn. Loaded once per jllm-core jar by {@link KernelAb}, each in its own class loader.
 */
public final class KernelSide {
    private static InterleavedMatrix[] copies;
    private static WorkerPool pool;
    private static float[] x;
    private static float[] y;
    private static long bytes;
    private static double flops;
    private static int next;
    /** Tokens per product: 1 runs the single-token kernel, more the packed GEMM that prefill runs. */
    private static final int TOKENS = Integer.getInteger("kernel.ab.tokens", 1);

    private KernelSide() {
    }

    /** Makes the copies of a {@code type} matrix of rows × cols filling {@code mib} MiB, and a pool of threads. */
    public static void setup(String type, int rows, int cols, int mib, int threads) {
        Tensor w = RandomWeights.gaussian(Arena.ofAuto(), DType.valueOf(type), rows, cols, 42, 64);
        bytes = InterleavedMatrix.bytes(w);
        flops = 2.0 * rows * cols * TOKENS;
        copies = new InterleavedMatrix[(int) Math.max(1, ((long) mib << 20) / bytes)];
        for (int i = 0; i < copies.length; i++) {
            copies[i] = InterleavedMatrix.of(w, null, false);
        }
        pool = new WorkerPool(threads);
        Random random = new Random(7);
        x = new float[cols * TOKENS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        y = new float[rows * TOKENS];
    }

    /**
     * The median product during {@code seconds}: GB/s of weights for one token, GFLOP/s for more (two per weight
     * and token).
     */
    public static double measure(double seconds) {
        long[] times = new long[1 << 16];
        int n = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end && n < times.length) {
            long t0 = System.nanoTime();
            if (TOKENS == 1) {
                copies[next].multiplyQuantized(pool, x, 0, y, 0);
            } else {
                copies[next].multiply(pool, x, 0, TOKENS, y, 0);
            }
            times[n++] = System.nanoTime() - t0;
            next = (next + 1) % copies.length;
        }
        Arrays.sort(times, 0, n);
        return (TOKENS == 1 ? bytes : flops) / times[n / 2];
    }
}
