package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q8_0 matrix copied into blocks that interleave {@link #ROWS} rows, for products with several tokens
 * ({@code Y = X·Wᵀ}, as {@link MatMul}). For each group of 16 rows and each 32-column block it holds the 16 rows'
 * scales as floats, then the 32 columns' codes with the 16 rows' bytes side by side. One 16-byte load widened to
 * floats is then one column of 16 rows, and each token adds it times its broadcast activation: an FMA per token
 * and column, a scale FMA per block, and no lane sums, where the row-major layout pays a decode to floats and a
 * lane sum per row and token. llama.cpp repacks its weights for the same reason.
 *
 * <p>The copy costs as much memory as the matrix (the mapped file is not touched). Up to eight tokens run
 * together; more run eight at a time.
 */
public final class InterleavedQ8_0 {
    /** Rows per interleaved group: one float vector's lanes. */
    public static final int ROWS = 16;
    // Q8_0's block: an F16 scale, then 32 int8 codes
    private static final int BLOCK = DType.Q8_0.blockSize();
    private static final int BLOCK_BYTES = DType.Q8_0.blockBytes();
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;

    private final int rows;
    private final int cols;
    private final int blocks;
    private final byte[] codes;
    private final float[] scales;

    private InterleavedQ8_0(int rows, int cols, byte[] codes, float[] scales) {
        this.rows = rows;
        this.cols = cols;
        this.blocks = cols / BLOCK;
        this.codes = codes;
        this.scales = scales;
    }

    /**
     * Whether {@code w} can be interleaved here: Q8_0, rows a multiple of 16, fewer than 2³¹ codes, and 16-lane
     * float vectors on this machine.
     */
    public static boolean supports(Tensor w) {
        return w.type() == DType.Q8_0 && w.shape().length == 2 && w.rows() % ROWS == 0 && w.cols() % BLOCK == 0
                && w.rows() * w.cols() <= Integer.MAX_VALUE - 8 && FloatVector.SPECIES_PREFERRED.length() == 16;
    }

    /**
     * The interleaved copy of {@code w}.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ8_0 of(Tensor w) {
        if (!supports(w)) {
            throw new IllegalArgumentException("cannot interleave " + w + ": needs Q8_0 with rows a multiple of "
                    + ROWS + " and 16-lane float vectors");
        }
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int blocks = cols / BLOCK;
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[rows * blocks];
        for (int r = 0; r < rows; r++) {
            int group = r / ROWS;
            int lane = r % ROWS;
            long row = r * w.rowBytes();
            for (int b = 0; b < blocks; b++) {
                long o = row + (long) b * BLOCK_BYTES;
                int at = group * blocks + b;
                scales[at * ROWS + lane] = Float.float16ToFloat(w.data().get(ValueLayout.JAVA_SHORT_UNALIGNED, o));
                for (int c = 0; c < BLOCK; c++) {
                    codes[(at * BLOCK + c) * ROWS + lane] = w.data().get(ValueLayout.JAVA_BYTE, o + 2 + c);
                }
            }
        }
        return new InterleavedQ8_0(rows, cols, codes, scales);
    }

    /** Rows of the matrix. */
    public int rows() {
        return rows;
    }

    /** Columns of the matrix. */
    public int cols() {
        return cols;
    }

    /**
     * {@code y[yOffset + t·rows + r] = Σ_c x[xOffset + t·cols + c]·W[r][c]} for n tokens t. Y is overwritten.
     *
     * @throws IllegalArgumentException if x or y are too short for n tokens
     */
    public void multiply(WorkerPool pool, float[] x, int xOffset, int n, float[] y, int yOffset) {
        check(x, xOffset, n, y, yOffset);
        int groups = rows / ROWS;
        for (int t0 = 0; t0 < n; t0 += 8) {
            int count = Math.min(8, n - t0);
            int xb = xOffset + t0 * cols;
            int yb = yOffset + t0 * rows;
            pool.parallelForDynamic(groups, Math.max(1, groups / (pool.threads() * 16)), (from, to) -> {
                for (int g = from; g < to; g++) {
                    group(g, count, x, xb, y, yb);
                }
            });
        }
    }

    /**
     * The scalar twin of {@link #multiply}: the same interleaved codes and scales, summed block by block in
     * plain loops, one token at a time.
     */
    public void reference(float[] x, int xOffset, int n, float[] y, int yOffset) {
        check(x, xOffset, n, y, yOffset);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                int group = r / ROWS;
                int lane = r % ROWS;
                float total = 0;
                for (int b = 0; b < blocks; b++) {
                    int at = group * blocks + b;
                    float block = 0;
                    for (int c = 0; c < BLOCK; c++) {
                        block += codes[(at * BLOCK + c) * ROWS + lane] * x[xOffset + t * cols + b * BLOCK + c];
                    }
                    total += block * scales[at * ROWS + lane];
                }
                y[yOffset + t * rows + r] = total;
            }
        }
    }

    private void check(float[] x, int xOffset, int n, float[] y, int yOffset) {
        if (n < 0 || xOffset < 0 || yOffset < 0 || xOffset + (long) n * cols > x.length
                || yOffset + (long) n * rows > y.length) {
            throw new IllegalArgumentException("x[" + x.length + "] from " + xOffset + " and y[" + y.length + "] from "
                    + yOffset + " do not fit " + n + " tokens of a [" + rows + ", " + cols + "] matrix");
        }
    }

    /** Group g's 16 rows against {@code count} ≤ 8 tokens. */
    private void group(int g, int count, float[] x, int xb, float[] y, int yb) {
        if (count == 8) {
            group8(g, x, xb, y, yb);
            return;
        }
        int t = 0;
        if (count >= 4) {
            group4(g, x, xb, y, yb);
            t = 4;
        }
        for (; t < count; t++) {
            group1(g, x, xb + t * cols, y, yb + t * rows);
        }
    }

    /** Group g against eight tokens: eight block sums and eight totals in registers. */
    private void group8(int g, float[] x, int xb, float[] y, int yb) {
        FloatVector t0 = FloatVector.zero(F);
        FloatVector t1 = t0;
        FloatVector t2 = t0;
        FloatVector t3 = t0;
        FloatVector t4 = t0;
        FloatVector t5 = t0;
        FloatVector t6 = t0;
        FloatVector t7 = t0;
        int c1 = cols;
        for (int b = 0; b < blocks; b++) {
            int at = g * blocks + b;
            int q = at * BLOCK * ROWS;
            int xc = xb + b * BLOCK;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            FloatVector s4 = s0;
            FloatVector s5 = s0;
            FloatVector s6 = s0;
            FloatVector s7 = s0;
            for (int c = 0; c < BLOCK; c++) {
                FloatVector w = (FloatVector) ByteVector.fromArray(B, codes, q + c * ROWS)
                        .convertShape(VectorOperators.B2F, F, 0);
                int xi = xc + c;
                s0 = w.fma(FloatVector.broadcast(F, x[xi]), s0);
                s1 = w.fma(FloatVector.broadcast(F, x[xi + c1]), s1);
                s2 = w.fma(FloatVector.broadcast(F, x[xi + 2 * c1]), s2);
                s3 = w.fma(FloatVector.broadcast(F, x[xi + 3 * c1]), s3);
                s4 = w.fma(FloatVector.broadcast(F, x[xi + 4 * c1]), s4);
                s5 = w.fma(FloatVector.broadcast(F, x[xi + 5 * c1]), s5);
                s6 = w.fma(FloatVector.broadcast(F, x[xi + 6 * c1]), s6);
                s7 = w.fma(FloatVector.broadcast(F, x[xi + 7 * c1]), s7);
            }
            FloatVector d = FloatVector.fromArray(F, scales, at * ROWS);
            t0 = s0.fma(d, t0);
            t1 = s1.fma(d, t1);
            t2 = s2.fma(d, t2);
            t3 = s3.fma(d, t3);
            t4 = s4.fma(d, t4);
            t5 = s5.fma(d, t5);
            t6 = s6.fma(d, t6);
            t7 = s7.fma(d, t7);
        }
        int r0 = yb + g * ROWS;
        t0.intoArray(y, r0);
        t1.intoArray(y, r0 + rows);
        t2.intoArray(y, r0 + 2 * rows);
        t3.intoArray(y, r0 + 3 * rows);
        t4.intoArray(y, r0 + 4 * rows);
        t5.intoArray(y, r0 + 5 * rows);
        t6.intoArray(y, r0 + 6 * rows);
        t7.intoArray(y, r0 + 7 * rows);
    }

    /** Group g against four tokens. */
    private void group4(int g, float[] x, int xb, float[] y, int yb) {
        FloatVector t0 = FloatVector.zero(F);
        FloatVector t1 = t0;
        FloatVector t2 = t0;
        FloatVector t3 = t0;
        int c1 = cols;
        for (int b = 0; b < blocks; b++) {
            int at = g * blocks + b;
            int q = at * BLOCK * ROWS;
            int xc = xb + b * BLOCK;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            for (int c = 0; c < BLOCK; c++) {
                FloatVector w = (FloatVector) ByteVector.fromArray(B, codes, q + c * ROWS)
                        .convertShape(VectorOperators.B2F, F, 0);
                int xi = xc + c;
                s0 = w.fma(FloatVector.broadcast(F, x[xi]), s0);
                s1 = w.fma(FloatVector.broadcast(F, x[xi + c1]), s1);
                s2 = w.fma(FloatVector.broadcast(F, x[xi + 2 * c1]), s2);
                s3 = w.fma(FloatVector.broadcast(F, x[xi + 3 * c1]), s3);
            }
            FloatVector d = FloatVector.fromArray(F, scales, at * ROWS);
            t0 = s0.fma(d, t0);
            t1 = s1.fma(d, t1);
            t2 = s2.fma(d, t2);
            t3 = s3.fma(d, t3);
        }
        int r0 = yb + g * ROWS;
        t0.intoArray(y, r0);
        t1.intoArray(y, r0 + rows);
        t2.intoArray(y, r0 + 2 * rows);
        t3.intoArray(y, r0 + 3 * rows);
    }

    /** Group g against one token. */
    private void group1(int g, float[] x, int xb, float[] y, int yb) {
        FloatVector total = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            int at = g * blocks + b;
            int q = at * BLOCK * ROWS;
            int xc = xb + b * BLOCK;
            FloatVector s = FloatVector.zero(F);
            for (int c = 0; c < BLOCK; c++) {
                FloatVector w = (FloatVector) ByteVector.fromArray(B, codes, q + c * ROWS)
                        .convertShape(VectorOperators.B2F, F, 0);
                s = w.fma(FloatVector.broadcast(F, x[xc + c]), s);
            }
            total = s.fma(FloatVector.fromArray(F, scales, at * ROWS), total);
        }
        total.intoArray(y, yb + g * ROWS);
    }
}
