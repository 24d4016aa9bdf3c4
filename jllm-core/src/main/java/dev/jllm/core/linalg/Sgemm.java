package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.FloatVector;

/**
 * Single-precision general matrix multiply, {@code C = alpha·op(A)·op(B) + beta·C}, on row-major
 * {@code float[]} matrices with offsets and leading dimensions (the row stride), as BLAS's
 * {@code sgemm} with {@code op(X)} = X or Xᵀ.
 *
 * <p>Blocked in the manner of BLIS/GotoBLAS: a {@link #KC}×{@link #NC} panel of op(B) is packed
 * into {@link GemmKernel#NR}-column slivers (kept in L3/L2, one sliver in L1), an
 * {@link #MC}×{@link #KC} block of op(A) is packed into {@link GemmKernel#MR}-row slivers (kept in
 * L2) with alpha folded in, and {@link GemmKernel} multiplies sliver pairs in registers. Tiles of
 * C (an A block × a group of B slivers) are handed to the pool's threads dynamically.
 */
public final class Sgemm {
    /** Depth of a packed panel: one B sliver (KC × NR floats = 32 KiB with AVX-512) fits in L1. */
    static final int KC = 256;
    /** Rows of a packed A block: MC × KC floats (384 KiB) stay in L2. */
    static final int MC = GemmKernel.MR * 64;
    /** Columns of a packed B panel. */
    static final int NC = GemmKernel.NR * 128;
    /** B slivers per parallel task. */
    private static final int SLIVERS_PER_TASK = 8;

    private static final int MR = GemmKernel.MR;
    private static final int NR = GemmKernel.NR;
    private static final AtomicLong STEPS = new AtomicLong();
    private static final ThreadLocal<float[]> PACKED_B = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread packed A block, remembered so consecutive tasks on the same block skip repacking. */
    private static final class Scratch {
        final float[] packedA = new float[MC * KC];
        final float[] edge = new float[MR * NR];
        long step = -1;
        int block = -1;
    }

    private Sgemm() {
    }

    /**
     * {@code C = op(A)·op(B)} for tightly packed row-major matrices from index 0 (C is
     * overwritten): the common case of {@link #multiply(WorkerPool, boolean, boolean, int, int, int,
     * float, float[], int, int, float[], int, int, float, float[], int, int) the full form}.
     */
    public static void multiply(WorkerPool pool, boolean transA, boolean transB, int m, int n, int k,
                                float[] a, float[] b, float[] c) {
        multiply(pool, transA, transB, m, n, k, 1f, a, 0, transA ? m : k, b, 0, transB ? k : n, 0f, c, 0, n);
    }

    /**
     * Computes {@code C = alpha·op(A)·op(B) + beta·C} where op(A) is m×k, op(B) is k×n and C is
     * m×n. Element (i, j) of a row-major matrix X is {@code x[xOffset + i·ldx + j]}; a transposed
     * operand is stored as its transpose (A as k×m, B as n×k). When {@code beta} is 0, C is not
     * read (NaNs in it do not propagate).
     *
     * @throws IllegalArgumentException if a size is negative, a leading dimension is smaller than
     *     its row length, or an array is too short for its matrix
     */
    public static void multiply(WorkerPool pool, boolean transA, boolean transB, int m, int n, int k,
                                float alpha, float[] a, int aOffset, int lda,
                                float[] b, int bOffset, int ldb,
                                float beta, float[] c, int cOffset, int ldc) {
        check(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (beta != 1f) {
            pool.parallelFor(m, (from, to) -> scaleRows(c, cOffset, ldc, n, beta, from, to));
        }
        if (k == 0 || alpha == 0f) {
            return;
        }
        int mBlocks = (m + MC - 1) / MC;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int slivers = (nc + NR - 1) / NR;
            int groups = (slivers + SLIVERS_PER_TASK - 1) / SLIVERS_PER_TASK;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                float[] pb = packedB(slivers * NR * kc);
                int jc0 = jc;
                int pc0 = pc;
                pool.parallelFor(slivers, (from, to) -> {
                    for (int t = from; t < to; t++) {
                        packB(transB, b, bOffset, ldb, pc0, kc, jc0 + t * NR, Math.min(NR, n - jc0 - t * NR),
                                pb, t * NR * kc);
                    }
                });
                long step = STEPS.incrementAndGet();
                pool.parallelForDynamic(mBlocks * groups, 1, (from, to) -> {
                    Scratch s = SCRATCH.get();
                    for (int task = from; task < to; task++) {
                        int block = task / groups;
                        int group = task % groups;
                        int ic = block * MC;
                        int mc = Math.min(MC, m - ic);
                        if (s.step != step || s.block != block) {
                            packA(transA, a, aOffset, lda, alpha, ic, mc, pc0, kc, s.packedA);
                            s.step = step;
                            s.block = block;
                        }
                        int tEnd = Math.min(slivers, (group + 1) * SLIVERS_PER_TASK);
                        for (int t = group * SLIVERS_PER_TASK; t < tEnd; t++) {
                            int j = jc0 + t * NR;
                            int nr = Math.min(NR, n - j);
                            for (int ir = 0; ir < mc; ir += MR) {
                                GemmKernel.multiplyAdd(kc, s.packedA, ir * kc, pb, t * NR * kc,
                                        c, cOffset + (ic + ir) * ldc + j, ldc, Math.min(MR, mc - ir), nr, s.edge);
                            }
                        }
                    }
                });
            }
        }
    }

    /**
     * The scalar reference: the textbook triple loop with float accumulation in the order of k.
     * Same contract as {@link #multiply}; tests hold the blocked version to it.
     */
    public static void reference(boolean transA, boolean transB, int m, int n, int k,
                                 float alpha, float[] a, int aOffset, int lda,
                                 float[] b, int bOffset, int ldb,
                                 float beta, float[] c, int cOffset, int ldc) {
        check(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
                    float bv = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
                    sum += av * bv;
                }
                int at = cOffset + i * ldc + j;
                c[at] = alpha * sum + (beta == 0f ? 0f : beta * c[at]);
            }
        }
    }

    private static void scaleRows(float[] c, int cOffset, int ldc, int n, float beta, int from, int to) {
        for (int i = from; i < to; i++) {
            int row = cOffset + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, row, row + n, 0f);
            } else {
                for (int j = 0; j < n; j++) {
                    c[row + j] *= beta;
                }
            }
        }
    }

    /** Packs alpha·op(A)[ic .. ic+mc)[pc .. pc+kc) into MR-row slivers, zero-padding the last one. */
    private static void packA(boolean transA, float[] a, int aOffset, int lda, float alpha,
                              int ic, int mc, int pc, int kc, float[] dst) {
        for (int ir = 0; ir < mc; ir += MR) {
            int base = ir * kc;
            int rows = Math.min(MR, mc - ir);
            if (transA) {
                // op(A) row i is column i of the stored k×m matrix: MR consecutive floats per k.
                for (int p = 0; p < kc; p++) {
                    int src = aOffset + (pc + p) * lda + ic + ir;
                    int d = base + p * MR;
                    for (int r = 0; r < rows; r++) {
                        dst[d + r] = alpha * a[src + r];
                    }
                    for (int r = rows; r < MR; r++) {
                        dst[d + r] = 0f;
                    }
                }
            } else {
                for (int r = 0; r < MR; r++) {
                    if (r < rows) {
                        int src = aOffset + (ic + ir + r) * lda + pc;
                        for (int p = 0; p < kc; p++) {
                            dst[base + p * MR + r] = alpha * a[src + p];
                        }
                    } else {
                        for (int p = 0; p < kc; p++) {
                            dst[base + p * MR + r] = 0f;
                        }
                    }
                }
            }
        }
    }

    /** Packs op(B)[pc .. pc+kc)[j .. j+cols) into one NR-column sliver at {@code dst[at]}. */
    private static void packB(boolean transB, float[] b, int bOffset, int ldb, int pc, int kc, int j, int cols,
                              float[] dst, int at) {
        if (transB && cols == NR) {
            // op(B) column j is row j of the stored n×k matrix: gather one k from NR rows at a time.
            int[] rowStarts = new int[NR];
            for (int c = 0; c < NR; c++) {
                rowStarts[c] = c * ldb;
            }
            int src = bOffset + j * ldb + pc;
            for (int p = 0; p < kc; p++) {
                FloatVector.fromArray(GemmKernel.SPECIES, b, src + p, rowStarts, 0).intoArray(dst, at + p * NR);
                FloatVector.fromArray(GemmKernel.SPECIES, b, src + p, rowStarts, GemmKernel.L)
                        .intoArray(dst, at + p * NR + GemmKernel.L);
            }
        } else if (transB) {
            for (int c = 0; c < NR; c++) {
                if (c < cols) {
                    int src = bOffset + (j + c) * ldb + pc;
                    for (int p = 0; p < kc; p++) {
                        dst[at + p * NR + c] = b[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        dst[at + p * NR + c] = 0f;
                    }
                }
            }
        } else {
            for (int p = 0; p < kc; p++) {
                int src = bOffset + (pc + p) * ldb + j;
                int d = at + p * NR;
                System.arraycopy(b, src, dst, d, cols);
                if (cols < NR) {
                    java.util.Arrays.fill(dst, d + cols, d + NR, 0f);
                }
            }
        }
    }

    private static float[] packedB(int size) {
        float[] pb = PACKED_B.get();
        if (pb.length < size) {
            pb = new float[size];
            PACKED_B.set(pb);
        }
        return pb;
    }

    private static void check(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
                              float[] c, int cOffset, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative sgemm size m=" + m + " n=" + n + " k=" + k);
        }
        checkMatrix("A", transA ? k : m, transA ? m : k, a, aOffset, lda, transA);
        checkMatrix("B", transB ? n : k, transB ? k : n, b, bOffset, ldb, transB);
        checkMatrix("C", m, n, c, cOffset, ldc, false);
    }

    private static void checkMatrix(String name, int rows, int cols, float[] x, int offset, int ld, boolean trans) {
        String shape = name + (trans ? " (stored transposed)" : "") + " of shape [" + rows + ", " + cols + "]";
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(shape + " has leading dimension " + ld + " < " + cols);
        }
        if (offset < 0) {
            throw new IllegalArgumentException(shape + " has negative offset " + offset);
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long last = offset + (long) (rows - 1) * ld + cols;
        if (last > x.length) {
            throw new IllegalArgumentException(shape + " with leading dimension " + ld + " at offset " + offset
                    + " needs " + last + " floats but the array holds " + x.length);
        }
    }
}
