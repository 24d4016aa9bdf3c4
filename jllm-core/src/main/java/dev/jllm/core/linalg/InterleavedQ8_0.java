package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q8_0 matrix copied into blocks that interleave {@link #ROWS} rows, for products with several tokens
 * ({@code Y = X·Wᵀ}, as {@link MatMul}). For each group of 16 rows and each 32-column block it holds the 32 columns'
 * codes with the 16 rows' bytes side by side, and apart from them the 16 rows' F16 scales, as in the file. One
 * 16-byte load widened to floats is then one column of 16 rows, and each token adds it times its broadcast
 * activation: an FMA per token and column, a scale FMA per block, and no lane sums, where the row-major layout pays a
 * decode to floats and a lane sum per row and token. llama.cpp repacks its weights for the same reason.
 *
 * <p>The copy lives off the heap and takes as many bytes as the matrix; its owner may release the mapped pages it
 * replaces, since products of any token count run from the copy: up to eight tokens together, up to
 * {@link #FEW_TOKENS} eight at a time, more through {@link MatMul}'s packed GEMM, whose slivers are cut from the
 * copy with the same float values a dequantization of the file gives.
 *
 * <p>One token runs through integers instead ({@link #multiplyQuantized}, {@link TokenKernel}), as llama.cpp's Q8_0
 * dot does, on x quantized to int8.
 */
public final class InterleavedQ8_0 extends InterleavedMatrix {
    /** Rows per interleaved group: one float vector's lanes. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    // Q8_0's block: an F16 scale, then 32 int8 codes
    private static final int BLOCK = DType.Q8_0.blockSize();
    private static final int BLOCK_BYTES = DType.Q8_0.blockBytes();
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Products of up to this many tokens stream the copy eight tokens at a time; more run the packed GEMM. */
    public static final int FEW_TOKENS = 32;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Compiles this type's single-token kernel for this machine's width ({@link InterleavedMatrix#warmUp}). */
    static void warmUpKernel() {
        if (WIDE) {
            TokenKernel.warmUp();
        } else {
            TokenKernel256.warmUp();
        }
    }

    InterleavedQ8_0(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, cols / BLOCK, codes, scales);
    }

    /**
     * Whether {@code w} can be interleaved here: Q8_0, rows a multiple of 16, fewer than 2³¹ codes, and float
     * vectors of 16 or 8 lanes on this machine.
     */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q8_0, BLOCK);
    }

    /**
     * The interleaved copy of {@code w}.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ8_0 of(Tensor w) {
        return of(w, null, false);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (on the caller's if the pool is null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied (see
     * {@link InterleavedMatrix#copy}).
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ8_0 of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q8_0);
        warmUp(List.of(DType.Q8_0));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int blocks = cols / BLOCK;
        MemorySegment[] copy = copy(w, pool, releaseMapped, BLOCK, BLOCK_BYTES, 0, 1, ROWS * cols, (in, rowBytes, out) -> {
            for (int lane = 0; lane < ROWS; lane++) {
                for (int b = 0; b < blocks; b++) {
                    int o = lane * rowBytes + b * BLOCK_BYTES + 2;
                    int at = b * BLOCK * ROWS + lane;
                    for (int c = 0; c < BLOCK; c++) {
                        out[at + c * ROWS] = in[o + c];
                    }
                }
            }
        });
        return new InterleavedQ8_0(rows, cols, copy[0], copy[1]);
    }

    /** Bytes the copy of {@code w} takes: a code per weight and an F16 scale per 32, as many as Q8_0 itself. */
    public static long bytes(Tensor w) {
        return w.rows() * w.cols() / BLOCK * (BLOCK + Short.BYTES);
    }

    /**
     * {@code y[yOffset + t·rows + r] = Σ_c x[xOffset + t·cols + c]·W[r][c]} for n tokens t. Y is overwritten.
     *
     * @throws IllegalArgumentException if x or y are too short for n tokens
     */
    @Override
    public void multiply(WorkerPool pool, float[] x, int xOffset, int n, float[] y, int yOffset) {
        if (n > FEW_TOKENS || !wide) {
            // the few-token kernels are written for 16-lane vectors; 8-lane machines run the packed GEMM
            super.multiply(pool, x, xOffset, n, y, yOffset);
            return;
        }
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
                        block += codes.get(ValueLayout.JAVA_BYTE, (long) (at * BLOCK + c) * ROWS + lane)
                                * x[xOffset + t * cols + b * BLOCK + c];
                    }
                    total += block * Float.float16ToFloat(scales.getAtIndex(HALF, (long) at * ROWS + lane));
                }
                y[yOffset + t * rows + r] = total;
            }
        }
    }

    /** One row of the scalar twin: per block of 32, the integer sum of codes times x's, times both scales. */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            int at = g * blocks + b;
            int sum = 0;
            for (int c = 0; c < BLOCK; c++) {
                sum += codes.get(ValueLayout.JAVA_BYTE, (long) (at * BLOCK + c) * ROWS + lane) * qx.qs[b * BLOCK + c];
            }
            float d = Float.float16ToFloat(scales.getAtIndex(HALF, (long) at * ROWS + lane));
            total = Math.fma((float) sum, d * qx.scales[b], total);
        }
        return total;
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        if (wide) {
            TokenKernel.groups(this, g, count, qx, ds, y, yOffset);
        } else {
            TokenKernel256.groups(this, g, count, qx, ds, y, yOffset);
        }
    }

    /** Group g's 16 rows against {@code count} ≤ 8 tokens. */
    private void group(int g, int count, float[] x, int xb, float[] y, int yb) {
        float[] ds = scalesAsFloats(g * blocks, blocks, SCRATCH.get().scales(blocks * ROWS));
        if (count == 8) {
            group8(g, ds, x, xb, y, yb);
            return;
        }
        int t = 0;
        if (count >= 4) {
            group4(g, ds, x, xb, y, yb);
            t = 4;
        }
        for (; t < count; t++) {
            group1(g, ds, x, xb + t * cols, y, yb + t * rows);
        }
    }

    /** Group g against eight tokens: eight block sums and eight totals in registers. */
    private void group8(int g, float[] ds, float[] x, int xb, float[] y, int yb) {
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
                FloatVector w = (FloatVector) ByteVector.fromMemorySegment(B, codes, (long) q + c * ROWS, LE)
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
            FloatVector d = FloatVector.fromArray(F, ds, b * ROWS);
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
    private void group4(int g, float[] ds, float[] x, int xb, float[] y, int yb) {
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
                FloatVector w = (FloatVector) ByteVector.fromMemorySegment(B, codes, (long) q + c * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0);
                int xi = xc + c;
                s0 = w.fma(FloatVector.broadcast(F, x[xi]), s0);
                s1 = w.fma(FloatVector.broadcast(F, x[xi + c1]), s1);
                s2 = w.fma(FloatVector.broadcast(F, x[xi + 2 * c1]), s2);
                s3 = w.fma(FloatVector.broadcast(F, x[xi + 3 * c1]), s3);
            }
            FloatVector d = FloatVector.fromArray(F, ds, b * ROWS);
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
    private void group1(int g, float[] ds, float[] x, int xb, float[] y, int yb) {
        FloatVector total = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            int at = g * blocks + b;
            int q = at * BLOCK * ROWS;
            int xc = xb + b * BLOCK;
            FloatVector s = FloatVector.zero(F);
            for (int c = 0; c < BLOCK; c++) {
                FloatVector w = (FloatVector) ByteVector.fromMemorySegment(B, codes, (long) q + c * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0);
                s = w.fma(FloatVector.broadcast(F, x[xc + c]), s);
            }
            FloatVector d = FloatVector.fromArray(F, ds, b * ROWS);
            total = s.fma(d, total);
        }
        total.intoArray(y, yb + g * ROWS);
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·32 + lane0 + r]}), {@code ds} holding the columns' scales as floats: each column is one
     * 16-byte load times the scales, the same products a dequantization of the Q8_0 rows computes.
     */
    @Override
    void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        int width = GemmKernel.NR;
        if (!wide) {
            // 256-bit vectors: rows 0–7 and 8–15 of each column apart
            for (int p = 0; p < kc; p += BLOCK) {
                FloatVector d0 = FloatVector.fromArray(F8, ds, p / BLOCK * ROWS);
                FloatVector d1 = FloatVector.fromArray(F8, ds, p / BLOCK * ROWS + 8);
                long q = (long) (g * blocks + (pc + p) / BLOCK) * BLOCK * ROWS;
                for (int c = 0; c < BLOCK; c++) {
                    int o = (p + c) * width + lane0;
                    ((FloatVector) ByteVector.fromMemorySegment(B8, codes, q + c * ROWS, LE)
                            .convertShape(VectorOperators.B2F, F8, 0)).mul(d0).intoArray(packed, o);
                    ((FloatVector) ByteVector.fromMemorySegment(B8, codes, q + c * ROWS + 8, LE)
                            .convertShape(VectorOperators.B2F, F8, 0)).mul(d1).intoArray(packed, o + 8);
                }
            }
            return;
        }
        for (int p = 0; p < kc; p += BLOCK) {
            FloatVector d = FloatVector.fromArray(F, ds, p / BLOCK * ROWS);
            long q = (long) (g * blocks + (pc + p) / BLOCK) * BLOCK * ROWS;
            for (int c = 0; c < BLOCK; c++) {
                ((FloatVector) ByteVector.fromMemorySegment(B, codes, q + c * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(packed, (p + c) * width + lane0);
            }
        }
    }

    /** A thread's buffer of scales for the float kernels. */
    private static final class Scratch {
        float[] scales = new float[0];

        float[] scales(int n) {
            if (scales.length < n) {
                scales = new float[n];
            }
            return scales;
        }
    }

}
