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
        if (count == 1) {
            group(m, g, qx.spread, qx.scales, ds, y, yOffset);
        } else {
            fourGroups(m, g, count, qx.spread, qx.scales, ds, y, yOffset);
        }
    }

    /**
     * Groups g, g + step, … (count 2 to 4; see {@link InterleavedMatrix#groups}) against the quantized token, sharing each load of the spread
     * activations ({@code ds}: their scales as floats, {@code blocks·16} per group). Per four columns and 16 rows of
     * a group: two widenings, two 16-bit multiplies and adds, and the biased sums split into 32-bit lanes by one
     * shift and two adds. Lanes 0–7 hold the first column of each pair, 8–15 the second; the low halves even rows,
     * the high halves odd rows, which the block's sum puts back in order ({@link #blockSum}). Four groups are four
     * streams of codes: the hardware prefetchers keep a few lines in flight per stream, and two streams per thread
     * read memory 20–25% slower (docs/BENCHMARKS.md, session 10). A group past the count reads group g's codes
     * again and keeps no result. Everything is written out in this one method: a vector op C2 does not inline is
     * boxed, and past its node count cutoff it inlines no further calls, not even {@link #blockSum}.
     */
    private static void fourGroups(InterleavedQ8_0 m, int g, int count, short[] spread, float[] dx, float[] ds,
                                   float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        int blocks = m.blocks;
        long next = (long) blocks * BLOCK * ROWS;
        int step = m.runStep;
        long n1 = step * next;
        long n2 = count > 2 ? 2 * step * next : 0;
        long n3 = count > 3 ? 3 * step * next : 0;
        int s1 = blocks * ROWS;
        int s2 = count > 2 ? 2 * blocks * ROWS : 0;
        int s3 = count > 3 ? 3 * blocks * ROWS : 0;
        long start = (long) g * blocks * BLOCK * ROWS;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        FloatVector total2 = total0;
        FloatVector total3 = total0;
        IntVector all0 = IntVector.zero(I);
        IntVector high0 = all0;
        IntVector all1 = all0;
        IntVector high1 = all0;
        IntVector all2 = all0;
        IntVector high2 = all0;
        IntVector all3 = all0;
        IntVector high3 = all0;
        int steps = blocks * STEPS;
        for (int s = 0; s < steps; s++) {
            long c = start + (long) s * 4 * ROWS;
            int xc = s * 4 * ROWS;
            ShortVector x01 = ShortVector.fromArray(S, spread, xc);
            ShortVector x23 = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
            IntVector v0 = ((ShortVector) ByteVector.fromMemorySegment(B32, codes, c, LE)
                    .convertShape(VectorOperators.B2S, S, 0)).mul(x01)
                    .add(((ShortVector) ByteVector.fromMemorySegment(B32, codes, c + 2 * ROWS, LE)
                            .convertShape(VectorOperators.B2S, S, 0)).mul(x23)).add(BIAS).reinterpretAsInts();
            IntVector v1 = ((ShortVector) ByteVector.fromMemorySegment(B32, codes, c + n1, LE)
                    .convertShape(VectorOperators.B2S, S, 0)).mul(x01)
                    .add(((ShortVector) ByteVector.fromMemorySegment(B32, codes, c + n1 + 2 * ROWS, LE)
                            .convertShape(VectorOperators.B2S, S, 0)).mul(x23)).add(BIAS).reinterpretAsInts();
            IntVector v2 = ((ShortVector) ByteVector.fromMemorySegment(B32, codes, c + n2, LE)
                    .convertShape(VectorOperators.B2S, S, 0)).mul(x01)
                    .add(((ShortVector) ByteVector.fromMemorySegment(B32, codes, c + n2 + 2 * ROWS, LE)
                            .convertShape(VectorOperators.B2S, S, 0)).mul(x23)).add(BIAS).reinterpretAsInts();
            IntVector v3 = ((ShortVector) ByteVector.fromMemorySegment(B32, codes, c + n3, LE)
                    .convertShape(VectorOperators.B2S, S, 0)).mul(x01)
                    .add(((ShortVector) ByteVector.fromMemorySegment(B32, codes, c + n3 + 2 * ROWS, LE)
                            .convertShape(VectorOperators.B2S, S, 0)).mul(x23)).add(BIAS).reinterpretAsInts();
            all0 = all0.add(v0);
            high0 = high0.add(v0.lanewise(VectorOperators.LSHR, 16));
            all1 = all1.add(v1);
            high1 = high1.add(v1.lanewise(VectorOperators.LSHR, 16));
            all2 = all2.add(v2);
            high2 = high2.add(v2.lanewise(VectorOperators.LSHR, 16));
            all3 = all3.add(v3);
            high3 = high3.add(v3.lanewise(VectorOperators.LSHR, 16));
            if ((s & (STEPS - 1)) == STEPS - 1) {
                int b = s / STEPS;
                float d = dx[b];
                // blockSum written out: past C2's node count cutoff a call would box its vectors
                IntVector low0 = all0.sub(high0.lanewise(VectorOperators.LSHL, 16));
                IntVector low1 = all1.sub(high1.lanewise(VectorOperators.LSHL, 16));
                IntVector low2 = all2.sub(high2.lanewise(VectorOperators.LSHL, 16));
                IntVector low3 = all3.sub(high3.lanewise(VectorOperators.LSHL, 16));
                total0 = ((FloatVector) FIRST_HALF.selectFrom(low0, high0).add(SECOND_HALF.selectFrom(low0, high0))
                        .sub(2 * STEPS * 32768).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(F, ds, b * ROWS).mul(d), total0);
                total1 = ((FloatVector) FIRST_HALF.selectFrom(low1, high1).add(SECOND_HALF.selectFrom(low1, high1))
                        .sub(2 * STEPS * 32768).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(F, ds, s1 + b * ROWS).mul(d), total1);
                total2 = ((FloatVector) FIRST_HALF.selectFrom(low2, high2).add(SECOND_HALF.selectFrom(low2, high2))
                        .sub(2 * STEPS * 32768).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(F, ds, s2 + b * ROWS).mul(d), total2);
                total3 = ((FloatVector) FIRST_HALF.selectFrom(low3, high3).add(SECOND_HALF.selectFrom(low3, high3))
                        .sub(2 * STEPS * 32768).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(F, ds, s3 + b * ROWS).mul(d), total3);
                all0 = IntVector.zero(I);
                high0 = all0;
                all1 = all0;
                high1 = all0;
                all2 = all0;
                high2 = all0;
                all3 = all0;
                high3 = all0;
            }
        }
        total0.intoArray(y, yOffset + g * ROWS);
        total1.intoArray(y, yOffset + (g + step) * ROWS);
        if (count > 2) {
            total2.intoArray(y, yOffset + (g + 2 * step) * ROWS);
        }
        if (count > 3) {
            total3.intoArray(y, yOffset + (g + 3 * step) * ROWS);
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
        // four groups of four blocks: the block loop's back edges bring C2's compile on while the warm-up runs
        int blocks = 4;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * ROWS * BLOCK * blocks, 4 * ROWS * blocks, 0xFF);
        InterleavedQ8_0 m = new InterleavedQ8_0(4 * ROWS, blocks * BLOCK, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(blocks * BLOCK);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[4 * blocks * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(m, 0, 4, qx.spread, qx.scales, m.scalesAsFloats(0, 4 * blocks, ds), y, 0),
                data[0].byteSize(), 5_000);
    }
}
