package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Matrix product against weights of any type, {@code Y[t][r] = Σ_c X[t][c]·W[r][c]} (Y = X·Wᵀ),
 * the core of prefill: n tokens at once against one weight matrix.
 *
 * <p>Each thread takes groups of {@link GemmKernel#NR} weight rows, dequantizes them a
 * {@link Sgemm#KC}-wide panel at a time into its own small float buffer, packs that as a B sliver
 * and runs the {@link GemmKernel} micro-kernel against X packed once per panel. Every weight is
 * dequantized once per block of {@link #TOKENS_PER_BLOCK} tokens, a cost that is small beside the
 * 2·n flops it feeds. KC is a multiple of every block size (1, 32, 64, 256), so panels cut whole
 * blocks.
 */
public final class MatMul {
    /** Tokens whose packed panel (×KC floats, ≈ 384 KiB) is kept in L2 while W streams past. */
    static final int TOKENS_PER_BLOCK = GemmKernel.MR * 64;

    private static final int MR = GemmKernel.MR;
    private static final int NR = GemmKernel.NR;
    private static final int KC = Sgemm.KC;
    private static final ThreadLocal<float[]> PACKED_X = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<Panel> PANELS = ThreadLocal.withInitial(Panel::new);

    /** A thread's buffers for one sliver of weight rows. */
    static final class Panel {
        final float[] rows = new float[NR * KC];
        /** The packed sliver the micro-kernel reads. */
        final float[] packed = new float[NR * KC];
        final float[] edge = new float[MR * NR];
        final int[] gather = new int[NR];
        int gatherKc = -1;
    }

    private MatMul() {
    }

    /** {@code Y = X·Wᵀ} with the SIMD kernels of W's type: x is n×cols, y is n×rows, both from index 0. */
    public static void multiply(WorkerPool pool, Tensor w, float[] x, int n, float[] y) {
        multiply(pool, WeightKernels.simd(w.type()), w, x, 0, n, y, 0);
    }

    /**
     * {@code y[yOffset + t·rows + r] = Σ_c x[xOffset + t·cols + c]·W[r][c]} for n tokens t, using
     * {@code kernel} to dequantize W. Y is overwritten.
     *
     * @throws IllegalArgumentException if the kernel is for another type, n is negative, or x or y
     *     are too short for n tokens of W's shape
     */
    public static void multiply(WorkerPool pool, WeightKernel kernel, Tensor w,
                                float[] x, int xOffset, int n, float[] y, int yOffset) {
        checkShapes(kernel, w, x, xOffset, n, y, yOffset);
        int rows = (int) w.rows();
        int cols = (int) w.cols();
        if (n == 0 || rows == 0) {
            return;
        }
        if (n < FewTokenMatMul.MIN_TOKENS && kernel.activationType() == null) {
            // one fused GEMV per token (F32 activations, as here): decoding a row to floats costs about one GEMV,
            // which fewer tokens do not repay
            for (int t = 0; t < n; t++) {
                MatVec.multiply(pool, kernel, w, x, xOffset + t * cols, y, yOffset + t * rows);
            }
            return;
        }
        if (n <= FewTokenMatMul.MAX_TOKENS && cols > 0) {
            FewTokenMatMul.multiply(pool, kernel, w, x, xOffset, n, y, yOffset);
            return;
        }
        multiplyPacked(pool, kernel, w, x, xOffset, n, y, yOffset);
    }

    /**
     * As {@link #multiply(WorkerPool, WeightKernel, Tensor, float[], int, int, float[], int)}, always through
     * the packed GEMM, whatever the token count: its sums run in {@link Sgemm}'s order, so a quantized weight
     * gives bit for bit what {@link Sgemm} gives on its dequantized values (training relies on it).
     */
    public static void multiplyPacked(WorkerPool pool, WeightKernel kernel, Tensor w,
                                      float[] x, int xOffset, int n, float[] y, int yOffset) {
        checkShapes(kernel, w, x, xOffset, n, y, yOffset);
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        multiplyPacked(pool, (int) w.rows(), (int) w.cols(), (r0, nr, pc, kc, panel) ->
                packWeights(kernel, data, r0 * rowBytes + w.type().bytesFor(pc), rowBytes, nr, kc, panel),
                x, xOffset, n, y, yOffset);
    }

    /** Writes weight rows {@code [r0, r0 + nr)} × columns {@code [pc, pc + kc)} into {@code panel.packed}. */
    interface SliverSource {
        /**
         * Packs the sliver k-major ({@code packed[p·NR + r]}), rows from nr to NR as zeros; {@code pc} is a multiple
         * of {@link Sgemm#KC} and {@code r0} of {@link GemmKernel#NR}.
         */
        void pack(int r0, int nr, int pc, int kc, Panel panel);
    }

    /** The packed GEMM over weights that {@code source} packs sliver by sliver; shapes already checked. */
    static void multiplyPacked(WorkerPool pool, int rows, int cols, SliverSource source,
                               float[] x, int xOffset, int n, float[] y, int yOffset) {
        if (n == 0 || rows == 0) {
            return;
        }
        pool.parallelFor(n, (from, to) ->
                java.util.Arrays.fill(y, yOffset + from * rows, yOffset + to * rows, 0f));
        if (cols == 0) {
            return;
        }
        int slivers = (rows + NR - 1) / NR;
        int grain = Math.max(1, slivers / (pool.threads() * 8));
        for (int ic = 0; ic < n; ic += TOKENS_PER_BLOCK) {
            int mc = Math.min(TOKENS_PER_BLOCK, n - ic);
            int mSlivers = (mc + MR - 1) / MR;
            for (int pc = 0; pc < cols; pc += KC) {
                int kc = Math.min(KC, cols - pc);
                float[] px = packedX(mSlivers * MR * kc);
                int ic0 = ic;
                int pc0 = pc;
                pool.parallelFor(mSlivers, (from, to) -> {
                    for (int s = from; s < to; s++) {
                        packTokens(x, xOffset, cols, ic0 + s * MR, Math.min(MR, mc - s * MR), pc0, kc, px, s * MR * kc);
                    }
                });
                pool.parallelForDynamic(slivers, grain, (from, to) -> {
                    Panel panel = PANELS.get();
                    for (int t = from; t < to; t++) {
                        int r0 = t * NR;
                        int nr = Math.min(NR, rows - r0);
                        source.pack(r0, nr, pc0, kc, panel);
                        for (int ir = 0; ir < mc; ir += MR) {
                            GemmKernel.multiplyAdd(kc, px, ir * kc, panel.packed, 0,
                                    y, yOffset + (ic0 + ir) * rows + r0, rows, Math.min(MR, mc - ir), nr, panel.edge);
                        }
                    }
                });
            }
        }
    }

    /**
     * The scalar reference: dequantizes each weight row whole and takes plain float dot products
     * with every token, one after another.
     */
    public static void reference(WeightKernel kernel, Tensor w, float[] x, int xOffset, int n, float[] y, int yOffset) {
        checkShapes(kernel, w, x, xOffset, n, y, yOffset);
        int rows = (int) w.rows();
        int cols = (int) w.cols();
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            kernel.dequantize(w.data(), r * w.rowBytes(), row, 0, cols);
            for (int t = 0; t < n; t++) {
                float sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += x[xOffset + t * cols + c] * row[c];
                }
                y[yOffset + t * rows + r] = sum;
            }
        }
    }

    /**
     * Packs tokens [t0, t0+count) × columns [pc, pc+kc) of X into one MR-row sliver. The sliver is written in
     * order, a column of MR values after another (reading MR rows side by side), rows past count as zeros.
     */
    static void packTokens(float[] x, int xOffset, int cols, int t0, int count, int pc, int kc,
                                   float[] dst, int at) {
        int src = xOffset + t0 * cols + pc;
        if (count == MR) {
            for (int p = 0; p < kc; p++) {
                int d = at + p * MR;
                int from = src + p;
                for (int r = 0; r < MR; r++) {
                    dst[d + r] = x[from + r * cols];
                }
            }
            return;
        }
        for (int p = 0; p < kc; p++) {
            for (int r = 0; r < MR; r++) {
                dst[at + p * MR + r] = r < count ? x[src + r * cols + p] : 0f;
            }
        }
    }

    /** Dequantizes {@code nr} weight rows × kc columns from {@code offset} and packs them as a B sliver. */
    private static void packWeights(WeightKernel kernel, MemorySegment data, long offset, long rowBytes,
                                    int nr, int kc, Panel panel) {
        float[] rowsBuf = panel.rows;
        float[] packed = panel.packed;
        for (int r = 0; r < nr; r++) {
            kernel.dequantize(data, offset + r * rowBytes, rowsBuf, r * kc, kc);
        }
        if (nr < NR) {
            java.util.Arrays.fill(rowsBuf, nr * kc, NR * kc, 0f);
        }
        if (panel.gatherKc != kc) {
            for (int r = 0; r < NR; r++) {
                panel.gather[r] = r * kc;
            }
            panel.gatherKc = kc;
        }
        // Transpose rows into k-major order with gathers: lane r of step p reads row r at column p.
        int[] idx = panel.gather;
        for (int p = 0; p < kc; p++) {
            FloatVector.fromArray(GemmKernel.SPECIES, rowsBuf, p, idx, 0).intoArray(packed, p * NR);
            FloatVector.fromArray(GemmKernel.SPECIES, rowsBuf, p, idx, GemmKernel.L)
                    .intoArray(packed, p * NR + GemmKernel.L);
        }
    }

    private static float[] packedX(int size) {
        float[] px = PACKED_X.get();
        if (px.length < size) {
            px = new float[size];
            PACKED_X.set(px);
        }
        return px;
    }

    private static void checkShapes(WeightKernel kernel, Tensor w, float[] x, int xOffset, int n,
                                    float[] y, int yOffset) {
        if (kernel.type() != w.type()) {
            throw new IllegalArgumentException("kernel for " + kernel.type() + " cannot read weight " + w);
        }
        if (n < 0) {
            throw new IllegalArgumentException("negative token count " + n + " for weight " + w);
        }
        if (w.rows() > Integer.MAX_VALUE || w.cols() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("weight " + w + " is too large for float[] activations");
        }
        long xNeed = n * w.cols();
        long yNeed = n * w.rows();
        if (xOffset < 0 || x.length - (long) xOffset < xNeed) {
            throw new IllegalArgumentException("weight " + w + " needs x of [" + n + ", " + w.cols() + "] ("
                    + xNeed + " floats) but the array holds " + (x.length - xOffset) + " after offset " + xOffset);
        }
        if (yOffset < 0 || y.length - (long) yOffset < yNeed) {
            throw new IllegalArgumentException("weight " + w + " needs y of [" + n + ", " + w.rows() + "] ("
                    + yNeed + " floats) but the array holds " + (y.length - yOffset) + " after offset " + yOffset);
        }
    }
}
