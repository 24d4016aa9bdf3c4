package dev.jllm.core.linalg;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One token against an {@link InterleavedQ8_0} copy through integers, as llama.cpp's Q8_0 dot does: x is quantized
 * to int8 per block of 32, and two columns' 16 rows, widened to one 32-lane short vector, are multiplied by the
 * matching activations in 16-bit lanes. Two such products fit a lane (|q·qx| ≤ 128·127), so four columns cost two
 * widenings, two multiplies and three adds, and the sums move to 32-bit lanes with one shift and two adds: fewer
 * instructions per weight than widening to floats, which is what a decode step, bound by one core's issue rate on
 * this class of machine, is short of.
 */
final class TokenKernel {
    private static final int ROWS = InterleavedQ8_0.ROWS;
    private static final int BLOCK = DType.Q8_0.blockSize();
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    // a 16-bit bias that makes every two-column sum non-negative, so that the low halves never borrow
    private static final short BIAS = (short) 0x8000;
    private static final int STEPS = BLOCK / 4; // a power of two: the step loop takes a block's sums at each eighth
    // interleave the low-half sums (even rows) and high-half sums (odd rows) of the two column halves
    private static final IntVector FIRST_HALF = IntVector.fromArray(I,
            new int[] {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23}, 0);
    private static final IntVector SECOND_HALF = IntVector.fromArray(I,
            new int[] {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}, 0);
    private static boolean warm;

    private TokenKernel() {
    }

    /** Groups {@code [g, g + count)} of m against the quantized token ({@link InterleavedMatrix#groups}). */
    static void groups(InterleavedQ8_0 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        if (count == 2) {
            twoGroups(m, g, qx.spread, qx.scales, ds, y, yOffset);
        } else {
            group(m, g, qx.spread, qx.scales, ds, y, yOffset);
        }
    }

    /** Group g's 16 rows against the quantized token: integer block sums, scaled as floats. */
    private static void group(InterleavedQ8_0 m, int g, short[] spread, float[] dx, float[] ds, float[] y,
                              int yOffset) {
        MemorySegment codes = m.codes;
        int blocks = m.blocks;
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
            FloatVector d = FloatVector.fromArray(F, ds, b * ROWS)
                    .mul(dx[b]);
            total = blockSum(all, high).fma(d, total);
        }
        total.intoArray(y, yOffset + g * ROWS);
    }

    /**
     * Groups g and g + 1 against the quantized token, sharing each load of the spread activations ({@code ds}: the
     * pair's scales as floats). Per four columns and 16 rows: two widenings, two 16-bit multiplies and adds, and the
     * biased sums split into 32-bit lanes by one shift and two adds. Lanes 0–7 hold the first column of each pair,
     * 8–15 the second; the low halves even rows, the high halves odd rows, which {@link #blockSum} puts back in
     * order. Everything is written out in this one method: C2 stops inlining the Vector API into a method this
     * large, and a vector op it does not inline is boxed.
     */
    private static void twoGroups(InterleavedQ8_0 m, int g, short[] spread, float[] dx, float[] ds, float[] y,
                                  int yOffset) {
        MemorySegment codes = m.codes;
        int blocks = m.blocks;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        long next = (long) blocks * BLOCK * ROWS;
        long start = (long) g * blocks * BLOCK * ROWS;
        IntVector all0 = IntVector.zero(I);
        IntVector high0 = all0;
        IntVector all1 = all0;
        IntVector high1 = all0;
        // one loop over every step of the row, the blocks' sums taken at each eighth: C2 checks the segment's
        // bounds once per call here, where a loop of eight steps inside a loop of blocks checked them at each step
        int steps = blocks * STEPS;
        for (int s = 0; s < steps; s++) {
            long c = start + (long) s * 4 * ROWS;
            int xc = s * 4 * ROWS;
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
            if ((s & (STEPS - 1)) == STEPS - 1) {
                int b = s / STEPS;
                float d = dx[b];
                FloatVector d0 = FloatVector.fromArray(F, ds, b * ROWS).mul(d);
                FloatVector d1 = FloatVector.fromArray(F, ds, (blocks + b) * ROWS).mul(d);
                total0 = blockSum(all0, high0).fma(d0, total0);
                total1 = blockSum(all1, high1).fma(d1, total1);
                all0 = IntVector.zero(I);
                high0 = all0;
                all1 = all0;
                high1 = all0;
            }
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
     * Compiles the kernel on its own before any product runs, once per JVM. The Vector API's generic code records one
     * type profile for all its callers; when the float kernels run first, C2 later inlines more of that code into this
     * large kernel, reaches its inlining budget, and leaves vector operations boxed (5–8 times slower).
     */
    static synchronized void warmUp() {
        if (warm) {
            return;
        }
        warm = true;
        MemorySegment[] data = InterleavedMatrix.warmUpData(2L * ROWS * BLOCK, 2 * ROWS, 0xFF);
        InterleavedQ8_0 m = new InterleavedQ8_0(2 * ROWS, BLOCK, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(BLOCK);
        float[] y = new float[2 * ROWS];
        float[] ds = new float[2 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> twoGroups(m, 0, qx.spread, qx.scales, m.scalesAsFloats(0, 2, ds), y, 0),
                data[0].byteSize(), 5_000);
    }
}
