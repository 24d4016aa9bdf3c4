package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Matrix-vector product (GEMV) over weights of any type: {@code y[r] = Σ_c W[r][c]·x[c]}, the
 * core of a decode step.
 *
 * <p>Rows are split into contiguous chunks, {@link #CHUNKS_PER_THREAD} per worker, that workers
 * claim as they go (so a thread slowed by other load on the machine does not hold up the rest),
 * with chunk boundaries on 64-byte cache-line boundaries of the weights where the row size
 * allows, so no line is read by two threads. A kernel that computes several rows per pass
 * ({@link WeightKernel#rowsPerPass()}) gets each chunk in one {@link WeightKernel#dotRows} call. A type
 * whose kernel takes quantized activations
 * ({@link WeightKernel#activationType()}) gets x quantized once per call into a per-thread buffer
 * that is reused across calls.
 */
public final class MatVec {
    private static final int CACHE_LINE = 64;
    /** Chunks per worker: long enough streams for the prefetchers, enough to even out the load. */
    static final int CHUNKS_PER_THREAD = 4;
    /** This thread's activation buffers, one per format (Q8_0, Q8_1, Q8_K), grown as needed. */
    private static final ThreadLocal<QuantizedActivations[]> ACTIVATIONS =
            ThreadLocal.withInitial(() -> new QuantizedActivations[3]);

    private MatVec() {
    }

    /** {@code y = W·x} with the SIMD kernels of W's type; x and y start at index 0. */
    public static void multiply(WorkerPool pool, Tensor w, float[] x, float[] y) {
        multiply(pool, WeightKernels.simd(w.type()), w, x, 0, y, 0);
    }

    /**
     * {@code y[yOffset + r] = Σ_c W[r][c]·x[xOffset + c]} for every row r of W, using {@code kernel}.
     *
     * @throws IllegalArgumentException if the kernel is for another type, or x or y are too short
     *     for W's shape
     */
    public static void multiply(WorkerPool pool, WeightKernel kernel, Tensor w,
                                float[] x, int xOffset, float[] y, int yOffset) {
        checkShapes(kernel, w, x, xOffset, y, yOffset);
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        QuantizedActivations qx = quantizeIfNeeded(kernel, x, xOffset, cols);
        int group = alignedRowGroup(w.rowBytes());
        int groups = (rows + group - 1) / group;
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        if (qx == null && kernel.rowsPerPass() > 1) {
            pool.parallelForDynamic(groups, grain(groups, pool), (from, to) ->
                    kernel.dotRows(data, from * group * rowBytes, rowBytes, Math.min(rows, to * group) - from * group,
                            x, xOffset, cols, y, yOffset + from * group));
        } else {
            pool.parallelForDynamic(groups, grain(groups, pool), (from, to) ->
                    rows(kernel, data, rowBytes, from * group, Math.min(rows, to * group),
                            x, xOffset, qx, cols, y, yOffset));
        }
    }

    /**
     * Several products sharing one x (e.g. the Q, K and V projections): {@code ys[i] = ws[i]·x}.
     * All matrices need the same column count; x is quantized once per activation format and the
     * rows of all matrices are split across the workers together.
     *
     * @throws IllegalArgumentException if the counts of matrices and outputs differ, the column
     *     counts differ, or an array is too short
     */
    public static void multiply(WorkerPool pool, Tensor[] ws, float[] x, float[][] ys) {
        WeightKernel[] kernels = new WeightKernel[ws.length];
        for (int i = 0; i < ws.length; i++) {
            kernels[i] = WeightKernels.simd(ws[i].type());
        }
        multiply(pool, kernels, ws, x, ys);
    }

    /**
     * As {@link #multiply(WorkerPool, Tensor[], float[], float[][])} with the given kernel for each
     * matrix.
     */
    public static void multiply(WorkerPool pool, WeightKernel[] kernels, Tensor[] ws, float[] x, float[][] ys) {
        if (ws.length != ys.length || ws.length != kernels.length) {
            throw new IllegalArgumentException(ws.length + " weight matrices, " + kernels.length + " kernels and "
                    + ys.length + " outputs");
        }
        if (ws.length == 0) {
            return;
        }
        int n = ws.length;
        QuantizedActivations[] qxs = new QuantizedActivations[n];
        int[] firstGroup = new int[n + 1];
        int[] groupRows = new int[n];
        int cols = Math.toIntExact(ws[0].cols());
        for (int i = 0; i < n; i++) {
            if (ws[i].cols() != cols) {
                throw new IllegalArgumentException("weight " + ws[i] + " has " + ws[i].cols()
                        + " columns but " + ws[0] + " has " + cols);
            }
            checkShapes(kernels[i], ws[i], x, 0, ys[i], 0);
            for (int j = 0; j < i && qxs[i] == null; j++) {
                // x was already quantized to this format for an earlier matrix: share it.
                if (qxs[j] != null && qxs[j].format() == kernels[i].activationType()) {
                    qxs[i] = qxs[j];
                }
            }
            if (qxs[i] == null) {
                qxs[i] = quantizeIfNeeded(kernels[i], x, 0, cols);
            }
            groupRows[i] = alignedRowGroup(ws[i].rowBytes());
            int rows = Math.toIntExact(ws[i].rows());
            firstGroup[i + 1] = firstGroup[i] + (rows + groupRows[i] - 1) / groupRows[i];
        }
        pool.parallelForDynamic(firstGroup[n], grain(firstGroup[n], pool), (from, to) -> {
            for (int i = 0; i < n && from < to; i++) {
                int lo = Math.max(from, firstGroup[i]);
                int hi = Math.min(to, firstGroup[i + 1]);
                if (lo < hi) {
                    int g = groupRows[i];
                    int rows = (int) ws[i].rows();
                    int first = (lo - firstGroup[i]) * g;
                    int last = Math.min(rows, (hi - firstGroup[i]) * g);
                    if (qxs[i] == null && kernels[i].rowsPerPass() > 1) {
                        kernels[i].dotRows(ws[i].data(), first * ws[i].rowBytes(), ws[i].rowBytes(), last - first,
                                x, 0, cols, ys[i], first);
                    } else {
                        rows(kernels[i], ws[i].data(), ws[i].rowBytes(), first, last, x, 0, qxs[i], cols, ys[i], 0);
                    }
                }
            }
        });
    }

    /**
     * The scalar reference: one row after another on the calling thread, through the same kernel
     * calls (with freshly quantized activations when the kernel takes them).
     */
    public static void reference(WeightKernel kernel, Tensor w, float[] x, int xOffset, float[] y, int yOffset) {
        checkShapes(kernel, w, x, xOffset, y, yOffset);
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        QuantizedActivations qx = null;
        DType format = kernel.activationType();
        if (format != null && cols % format.blockSize() == 0) {
            qx = new QuantizedActivations(format, cols).quantize(x, xOffset, cols);
        }
        for (int r = 0; r < rows; r++) {
            long at = r * w.rowBytes();
            y[yOffset + r] = qx != null
                    ? kernel.dotQuantized(w.data(), at, qx, 0, cols)
                    : kernel.dot(w.data(), at, x, xOffset, cols);
        }
    }

    private static void rows(WeightKernel kernel, MemorySegment data, long rowBytes, int from, int to,
                             float[] x, int xOffset, QuantizedActivations qx, int cols, float[] y, int yOffset) {
        long at = from * rowBytes;
        if (qx != null) {
            for (int r = from; r < to; r++, at += rowBytes) {
                y[yOffset + r] = kernel.dotQuantized(data, at, qx, 0, cols);
            }
        } else {
            for (int r = from; r < to; r++, at += rowBytes) {
                y[yOffset + r] = kernel.dot(data, at, x, xOffset, cols);
            }
        }
    }

    /** Quantizes x into this thread's reusable buffer of the kernel's activation format, if it has one. */
    private static QuantizedActivations quantizeIfNeeded(WeightKernel kernel, float[] x, int xOffset, int cols) {
        DType format = kernel.activationType();
        if (format == null || cols % format.blockSize() != 0) {
            return null; // F32 activations are this kernel's path (or the row does not fill whole activation blocks)
        }
        QuantizedActivations[] cache = ACTIVATIONS.get();
        int slot = switch (format) {
            case Q8_0 -> 0;
            case Q8_1 -> 1;
            default -> 2;
        };
        QuantizedActivations qx = cache[slot];
        if (qx == null || qx.capacity() < cols) {
            qx = new QuantizedActivations(format, cols);
            cache[slot] = qx;
        }
        return qx.quantize(x, xOffset, cols);
    }

    /** Row groups per claimed chunk. */
    private static int grain(int groups, WorkerPool pool) {
        return Math.max(1, groups / (pool.threads() * CHUNKS_PER_THREAD));
    }

    /** Smallest number of rows whose bytes are a whole number of cache lines (1 for most shapes). */
    static int alignedRowGroup(long rowBytes) {
        long g = gcd(rowBytes, CACHE_LINE);
        return (int) (CACHE_LINE / g);
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    private static void checkShapes(WeightKernel kernel, Tensor w, float[] x, int xOffset, float[] y, int yOffset) {
        if (kernel.type() != w.type()) {
            throw new IllegalArgumentException("kernel for " + kernel.type() + " cannot read weight " + w);
        }
        if (w.rows() > Integer.MAX_VALUE || w.cols() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("weight " + w + " is too large for a float[] vector");
        }
        if (xOffset < 0 || x.length - (long) xOffset < w.cols()) {
            throw new IllegalArgumentException("weight " + w + " needs x of [" + w.cols() + "] but got ["
                    + (x.length - xOffset) + "] (array of " + x.length + " at offset " + xOffset + ")");
        }
        if (yOffset < 0 || y.length - (long) yOffset < w.rows()) {
            throw new IllegalArgumentException("weight " + w + " needs y of [" + w.rows() + "] but got ["
                    + (y.length - yOffset) + "] (array of " + y.length + " at offset " + yOffset + ")");
        }
    }
}
