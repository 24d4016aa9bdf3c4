package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q8_0 matrix copied into blocks that interleave {@link #ROWS} rows, for products with several tokens
 * ({@code Y = X·Wᵀ}, as {@link MatMul}). For each group of 16 rows and each 32-column block it holds the 16 rows'
 * F16 scales, then the 32 columns' codes with the 16 rows' bytes side by side. One 16-byte load widened to
 * floats is then one column of 16 rows, and each token adds it times its broadcast activation: an FMA per token
 * and column, a scale FMA per block, and no lane sums, where the row-major layout pays a decode to floats and a
 * lane sum per row and token. llama.cpp repacks its weights for the same reason.
 *
 * <p>The copy lives off the heap and costs as much memory as the matrix; its owner may release the mapped pages it
 * replaces, since products of any token count run from the copy: up to eight tokens together, up to
 * {@link #FEW_TOKENS} eight at a time, more through {@link MatMul}'s packed GEMM, whose slivers are cut from the
 * copy with the same float values a dequantization of the file gives.
 *
 * <p>One token runs through integers instead ({@link #multiplyQuantized}), as llama.cpp's Q8_0 dot does: x is
 * quantized to int8 per block of 32, and two columns' 16 rows, widened to one 32-lane short vector, are multiplied
 * by the matching activations in 16-bit lanes. Two such products fit a lane (|q·qx| ≤ 128·127), so four columns
 * cost two widenings, two multiplies and three adds, and the sums move to 32-bit lanes with one shift and two adds:
 * fewer instructions per weight than widening to floats, which is what a decode step, bound by one core's issue
 * rate on this class of machine, is short of.
 */
public final class InterleavedQ8_0 {
    /** Rows per interleaved group: one float vector's lanes. */
    public static final int ROWS = 16;
    // Q8_0's block: an F16 scale, then 32 int8 codes
    private static final int BLOCK = DType.Q8_0.blockSize();
    private static final int BLOCK_BYTES = DType.Q8_0.blockBytes();
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    // a 16-bit bias that makes every two-column sum non-negative, so that the low halves never borrow
    private static final short BIAS = (short) 0x8000;
    private static final int STEPS = BLOCK / 4;
    // interleave the low-half sums (even rows) and high-half sums (odd rows) of the two column halves
    private static final IntVector FIRST_HALF = IntVector.fromArray(I,
            new int[] {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23}, 0);
    private static final IntVector SECOND_HALF = IntVector.fromArray(I,
            new int[] {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}, 0);
    private static final ThreadLocal<QuantizedX> QUANTIZED_X = ThreadLocal.withInitial(QuantizedX::new);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Products of up to this many tokens stream the copy eight tokens at a time; more run the packed GEMM. */
    public static final int FEW_TOKENS = 32;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final int rows;
    private final int cols;
    private final int blocks;
    private final MemorySegment codes;
    private final MemorySegment scales;

    private InterleavedQ8_0(int rows, int cols, MemorySegment codes, MemorySegment scales) {
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
        return of(w, null, false);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (on the caller's if the pool is null). With
     * {@code releaseMapped}, the pages of a memory-mapped {@code w} are released from this process as soon as they
     * are copied (reading w later maps them again), so that copying a mapped model does not hold both at once.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ8_0 of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        if (!supports(w)) {
            throw new IllegalArgumentException("cannot interleave " + w + ": needs Q8_0 with rows a multiple of "
                    + ROWS + " and 16-lane float vectors");
        }
        WarmUp.once();
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int blocks = cols / BLOCK;
        Arena arena = Arena.ofAuto();
        MemorySegment codes = arena.allocate((long) rows * cols, 64);
        MemorySegment scales = arena.allocate((long) rows * blocks * Float.BYTES, 64);
        int groups = rows / ROWS;
        WorkerPool.RangeTask copy = (from, to) -> {
            int rowBytes = Math.toIntExact(w.rowBytes());
            byte[] in = new byte[ROWS * rowBytes];
            byte[] out = new byte[ROWS * cols];
            float[] d = new float[ROWS * blocks];
            for (int g = from; g < to; g++) {
                MemorySegment.copy(w.data(), ValueLayout.JAVA_BYTE, (long) g * ROWS * rowBytes, in, 0, in.length);
                for (int lane = 0; lane < ROWS; lane++) {
                    int row = lane * rowBytes;
                    for (int b = 0; b < blocks; b++) {
                        int o = row + b * BLOCK_BYTES;
                        d[b * ROWS + lane] = Float.float16ToFloat((short) ((in[o] & 0xFF) | (in[o + 1] << 8)));
                        int at = b * BLOCK * ROWS + lane;
                        for (int c = 0; c < BLOCK; c++) {
                            out[at + c * ROWS] = in[o + 2 + c];
                        }
                    }
                }
                MemorySegment.copy(out, 0, codes, ValueLayout.JAVA_BYTE, (long) g * ROWS * cols, out.length);
                MemorySegment.copy(d, 0, scales, FLOAT, (long) g * ROWS * blocks * Float.BYTES, d.length);
            }
            if (releaseMapped && w.data().isMapped()) {
                w.data().asSlice((long) from * ROWS * rowBytes, (long) (to - from) * ROWS * rowBytes).unload();
            }
        };
        if (pool == null) {
            copy.run(0, groups);
        } else {
            // chunks of at most 32 groups (a few MB), so that little of a mapped w is resident at once
            pool.parallelForDynamic(groups, Math.max(1, Math.min(32, groups / (pool.threads() * 8))), copy);
        }
        return new InterleavedQ8_0(rows, cols, codes, scales);
    }

    /** Bytes the copy of {@code w} takes: a code per weight and a float scale per 32 (6% more than Q8_0). */
    public static long bytes(Tensor w) {
        return w.rows() * w.cols() / BLOCK * (BLOCK + Float.BYTES);
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
        if (n > FEW_TOKENS) {
            MatMul.multiplyPacked(pool, rows, cols, (r0, nr, pc, kc, panel) -> packSliver(r0, nr, pc, kc, panel.packed),
                    x, xOffset, n, y, yOffset);
            return;
        }
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
                    total += block * scales.getAtIndex(FLOAT, (long) at * ROWS + lane);
                }
                y[yOffset + t * rows + r] = total;
            }
        }
    }


    /**
     * One token through int8 activations: {@code y[yOffset + r] = Σ_b d[r][b]·dx[b]·Σ_c q[r][c]·qx[c]}, with x
     * quantized as GGML's Q8_0 quantizer does (llama.cpp's product for Q8_0 weights). Y is overwritten.
     *
     * @throws IllegalArgumentException if x or y are too short
     */
    public void multiplyQuantized(WorkerPool pool, float[] x, int xOffset, float[] y, int yOffset) {
        multiplyQuantized(pool, new InterleavedQ8_0[] {this}, x, xOffset, new float[][] {y}, new int[] {yOffset});
    }

    /**
     * Several single-token products sharing one x (Q, K and V; gate and up), as {@link #multiplyQuantized}: x is
     * quantized once and the row groups of all matrices are split across the workers together.
     *
     * @throws IllegalArgumentException if the matrices' column counts differ, the counts of matrices, outputs and
     *     offsets differ, or an array is too short
     */
    public static void multiplyQuantized(WorkerPool pool, InterleavedQ8_0[] ms, float[] x, int xOffset,
                                         float[][] ys, int[] yOffsets) {
        if (ms.length != ys.length || ms.length != yOffsets.length) {
            throw new IllegalArgumentException(ms.length + " matrices, " + ys.length + " outputs and "
                    + yOffsets.length + " output offsets");
        }
        if (ms.length == 0) {
            return;
        }
        int cols = ms[0].cols;
        int[] firstPair = new int[ms.length + 1];
        for (int i = 0; i < ms.length; i++) {
            if (ms[i].cols != cols) {
                throw new IllegalArgumentException("matrix " + i + " has " + ms[i].cols + " columns, matrix 0 has "
                        + cols);
            }
            ms[i].check(x, xOffset, 1, ys[i], yOffsets[i]);
            firstPair[i + 1] = firstPair[i] + (ms[i].rows / ROWS + 1) / 2;
        }
        QuantizedX qx = QUANTIZED_X.get().quantize(x, xOffset, cols);
        short[] spread = qx.spread;
        float[] dx = qx.activations.scales;
        int pairs = firstPair[ms.length];
        pool.parallelForDynamic(pairs, Math.max(1, pairs / (pool.threads() * 16)), (from, to) -> {
            Scratch scratch = SCRATCH.get();
            for (int i = 0; i < ms.length && from < to; i++) {
                int lo = Math.max(from, firstPair[i]);
                int hi = Math.min(to, firstPair[i + 1]);
                InterleavedQ8_0 m = ms[i];
                int groups = m.rows / ROWS;
                for (int p = lo; p < hi; p++) {
                    int g = 2 * (p - firstPair[i]);
                    if (g + 1 < groups) {
                        m.twoGroupsQuantized(g, spread, dx, ys[i], yOffsets[i], scratch);
                    } else {
                        m.groupQuantized(g, spread, dx, ys[i], yOffsets[i], scratch);
                    }
                }
            }
        });
    }

    /**
     * The scalar twin of {@link #multiplyQuantized}: the same quantized x and integer block sums, scaled and
     * added in the same order, in plain loops. Bit-identical with it.
     */
    public void referenceQuantized(float[] x, int xOffset, float[] y, int yOffset) {
        check(x, xOffset, 1, y, yOffset);
        QuantizedActivations qx = new QuantizedActivations(DType.Q8_0, cols).quantize(x, xOffset, cols);
        for (int r = 0; r < rows; r++) {
            int group = r / ROWS;
            int lane = r % ROWS;
            float total = 0;
            for (int b = 0; b < blocks; b++) {
                int at = group * blocks + b;
                int sum = 0;
                for (int c = 0; c < BLOCK; c++) {
                    sum += codes.get(ValueLayout.JAVA_BYTE, (long) (at * BLOCK + c) * ROWS + lane)
                            * qx.qs[b * BLOCK + c];
                }
                total = Math.fma((float) sum, scales.getAtIndex(FLOAT, (long) at * ROWS + lane) * qx.scales[b], total);
            }
            y[yOffset + r] = total;
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
        float[] ds = expandScales(g * blocks, blocks, SCRATCH.get());
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

    /** Group g's 16 rows against the quantized token: integer block sums, scaled as floats. */
    private void groupQuantized(int g, short[] spread, float[] dx, float[] y, int yOffset, Scratch scratch) {
        FloatVector total = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long q = (long) (g * blocks + b) * BLOCK * ROWS;
            int xs = b * BLOCK * ROWS;
            IntVector all = IntVector.zero(I);
            IntVector high = all;
            for (int s = 0; s < STEPS; s++) {
                long c = q + s * 4 * ROWS;
                int xc = xs + s * 4 * ROWS;
                ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B32, codes, c, LE)
                        .convertShape(VectorOperators.B2S, S, 0);
                ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B32, codes, c + 2 * ROWS, LE)
                        .convertShape(VectorOperators.B2S, S, 0);
                IntVector v = w0.mul(ShortVector.fromArray(S, spread, xc))
                        .add(w1.mul(ShortVector.fromArray(S, spread, xc + 2 * ROWS))).add(BIAS).reinterpretAsInts();
                all = all.add(v);
                high = high.add(v.lanewise(VectorOperators.LSHR, 16));
            }
            FloatVector d = FloatVector.fromMemorySegment(F, scales, (long) (g * blocks + b) * ROWS * 4, LE)
                    .mul(dx[b]);
            total = blockSum(all, high).fma(d, total);
        }
        total.intoArray(y, yOffset + g * ROWS);
    }

    /**
     * Groups g and g + 1 against the quantized token, sharing each load of the spread activations: the exact
     * integer sums of each block into this thread's buffer, then {@link #scaleBlockSums}. Per four columns and 16 rows:
     * two widenings, two 16-bit multiplies and adds, and the biased sums split into 32-bit lanes by one shift and two
     * adds. Lanes 0–7 hold the first column of each pair, 8–15 the second; the low halves even rows, the high halves
     * odd rows. Everything is written out in this one method: C2 stops inlining the Vector API into a method this
     * large, and a vector op it does not inline is boxed.
     */
    private void twoGroupsQuantized(int g, short[] spread, float[] dx, float[] y, int yOffset, Scratch scratch) {
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        long next = (long) blocks * BLOCK * ROWS;
        for (int b = 0; b < blocks; b++) {
            long q = (long) (g * blocks + b) * BLOCK * ROWS;
            int xs = b * BLOCK * ROWS;
            IntVector all0 = IntVector.zero(I);
            IntVector high0 = all0;
            IntVector all1 = all0;
            IntVector high1 = all0;
            for (int s = 0; s < STEPS; s++) {
                long c = q + s * 4 * ROWS;
                int xc = xs + s * 4 * ROWS;
                ShortVector x01 = ShortVector.fromArray(S, spread, xc);
                ShortVector x23 = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B32, codes, c, LE)
                        .convertShape(VectorOperators.B2S, S, 0);
                ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B32, codes, c + 2 * ROWS, LE)
                        .convertShape(VectorOperators.B2S, S, 0);
                ShortVector u0 = (ShortVector) ByteVector.fromMemorySegment(B32, codes, c + next, LE)
                        .convertShape(VectorOperators.B2S, S, 0);
                ShortVector u1 = (ShortVector) ByteVector.fromMemorySegment(B32, codes, c + next + 2 * ROWS, LE)
                        .convertShape(VectorOperators.B2S, S, 0);
                IntVector v0 = w0.mul(x01).add(w1.mul(x23)).add(BIAS).reinterpretAsInts();
                IntVector v1 = u0.mul(x01).add(u1.mul(x23)).add(BIAS).reinterpretAsInts();
                all0 = all0.add(v0);
                high0 = high0.add(v0.lanewise(VectorOperators.LSHR, 16));
                all1 = all1.add(v1);
                high1 = high1.add(v1.lanewise(VectorOperators.LSHR, 16));
            }
            float d = dx[b];
            FloatVector d0 = FloatVector.fromMemorySegment(F, scales, (long) (g * blocks + b) * ROWS * 4, LE).mul(d);
            FloatVector d1 = FloatVector.fromMemorySegment(F, scales, (long) ((g + 1) * blocks + b) * ROWS * 4, LE)
                    .mul(d);
            total0 = blockSum(all0, high0).fma(d0, total0);
            total1 = blockSum(all1, high1).fma(d1, total1);
        }
        total0.intoArray(y, yOffset + g * ROWS);
        total1.intoArray(y, yOffset + (g + 1) * ROWS);
    }

    /**
     * The block's 16 row sums as floats, in row order, from the sums of the biased lanes over its eight steps:
     * the low halves are {@code all − high·2¹⁶}, and each half carries the bias eight times.
     */
    private static FloatVector blockSum(IntVector all, IntVector high) {
        IntVector low = all.sub(high.lanewise(VectorOperators.LSHL, 16));
        IntVector rows = FIRST_HALF.selectFrom(low, high).add(SECOND_HALF.selectFrom(low, high))
                .sub(2 * STEPS * 32768);
        return (FloatVector) rows.convert(VectorOperators.I2F, 0);
    }

    /**
     * Rows {@code [r0, r0 + nr)} × columns {@code [pc, pc + kc)} as floats, k-major for {@link MatMul}'s micro-kernel
     * ({@code packed[p·32 + r]}, rows past nr zero): each column of a 16-row group is one 16-byte load times the
     * group's scales, the same products a dequantization of the Q8_0 rows computes.
     */
    void packSliver(int r0, int nr, int pc, int kc, float[] packed) {
        int width = 2 * ROWS;
        for (int half = 0; half < 2; half++) {
            int lane0 = half * ROWS;
            if (lane0 >= nr) {
                for (int p = 0; p < kc; p++) {
                    java.util.Arrays.fill(packed, p * width + lane0, p * width + lane0 + ROWS, 0f);
                }
                continue;
            }
            int g = (r0 + lane0) / ROWS;
            float[] ds = expandScales(g * blocks + pc / BLOCK, kc / BLOCK, SCRATCH.get());
            for (int p = 0; p < kc; p += BLOCK) {
                FloatVector d = FloatVector.fromArray(F, ds, p / BLOCK * ROWS);
                long q = (long) (g * blocks + (pc + p) / BLOCK) * BLOCK * ROWS;
                for (int c = 0; c < BLOCK; c++) {
                    ((FloatVector) ByteVector.fromMemorySegment(B, codes, q + c * ROWS, LE)
                            .convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(packed, (p + c) * width + lane0);
                }
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

    /**
     * The scales of interleaved blocks {@code [at, at + count)}, 16 per block, copied into this thread's buffer for
     * the float kernels' array loads.
     */
    private float[] expandScales(int at, int count, Scratch scratch) {
        float[] out = scratch.scales(count * ROWS);
        MemorySegment.copy(scales, FLOAT, (long) at * ROWS * Float.BYTES, out, 0, count * ROWS);
        return out;
    }

    /**
     * Compiles the integer kernel on its own before any product runs. The Vector API's generic code records one type
     * profile for all its callers; when the float kernels run first, C2 later inlines more of that code into this large
     * kernel, reaches its inlining budget, and leaves vector operations boxed (5–8 times slower).
     */
    private static final class WarmUp {
        private static boolean done;

        static synchronized void once() {
            if (done) {
                return;
            }
            done = true;
            int rows = 2 * ROWS;
            int cols = BLOCK;
            Arena arena = Arena.ofAuto();
            MemorySegment codes = arena.allocate((long) rows * cols, 64);
            MemorySegment scales = arena.allocate((long) rows * cols / BLOCK * Float.BYTES, 64);
            for (long i = 0; i < codes.byteSize(); i++) {
                codes.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 37 % 255 - 127));
            }
            for (long i = 0; i < scales.byteSize() / Float.BYTES; i++) {
                scales.setAtIndex(FLOAT, i, 1f / (1 + i));
            }
            InterleavedQ8_0 m = new InterleavedQ8_0(rows, cols, codes, scales);
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = (float) Math.sin(i);
            }
            QuantizedX qx = new QuantizedX().quantize(x, 0, cols);
            float[] y = new float[rows];
            Scratch scratch = new Scratch();
            for (int i = 0; i < 20_000; i++) {
                m.twoGroupsQuantized(0, qx.spread, qx.activations.scales, y, 0, scratch);
            }
        }
    }

    /** A token quantized as Q8_0, each code repeated over the 16 lanes its column occupies. */
    private static final class QuantizedX {
        QuantizedActivations activations = new QuantizedActivations(DType.Q8_0, BLOCK);
        short[] spread = new short[0];

        QuantizedX quantize(float[] x, int xOffset, int cols) {
            if (activations.capacity() < cols || spread.length < cols * ROWS) {
                activations = new QuantizedActivations(DType.Q8_0, cols);
                spread = new short[cols * ROWS];
            }
            activations.quantize(x, xOffset, cols);
            byte[] qs = activations.qs;
            for (int c = 0; c < cols; c++) {
                java.util.Arrays.fill(spread, c * ROWS, (c + 1) * ROWS, qs[c]);
            }
            return this;
        }
    }
}
