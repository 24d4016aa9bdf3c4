package dev.jllm.core.linalg;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One token against an {@link InterleavedQ2_K} copy through integers. Each chunk of 8 columns is one 32-byte load;
 * a 16-bit shift and a mask give a widened column pair's two-bit codes, which multiply the spread activations in
 * 16-bit lanes, as {@link Q3KTokenKernel} does without the high bits. Each 16 columns' sums are scaled as floats by
 * the sub-block's 4-bit scale and x's block scale, and the sub-block's 4-bit min times x's block scale and sum there
 * ({@link SpreadToken#halfSums}) gathers apart; each super-block then adds {@code d·scaled − dmin·mins}.
 */
final class Q2KTokenKernel {
    private static final int ROWS = InterleavedQ2_K.ROWS;
    private static final int BLOCK = 32;
    private static final int SUB = InterleavedQ2_K.SUB;
    private static final int SUBS = InterleavedQ2_K.SUBS;
    private static final int SUBS_AT = InterleavedQ2_K.SUBS_AT;
    private static final int SUB_BYTES = InterleavedQ2_K.SUB_BYTES;
    private static final int CHUNK_BYTES = InterleavedQ2_K.CHUNK_BYTES;
    private static final int SUPER_BYTES = InterleavedQ2_K.SUPER_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static boolean warm;

    private Q2KTokenKernel() {
    }

    /** Groups {@code [g, g + count)} of m against the quantized token. */
    static void groups(InterleavedQ2_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m, g, count, qx.spread, qx.scales, qx.halfSums, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), sharing each load of the spread activations:
     * four streams of codes, which the hardware prefetchers fetch faster than two (docs/BENCHMARKS.md, session 10). A
     * group past the count reads group g's codes again and keeps no result. Written out in one method: a vector op C2
     * does not inline is boxed.
     */
    private static void fourGroups(InterleavedQ2_K m, int g, int count, short[] spread, float[] dx, int[] halfSums,
                                   float[] ds, float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        long next = (long) supers * SUPER_BYTES;
        long n0 = 0;
        int step = m.runStep;
        long n1 = count > 1 ? step * next : 0;
        long n2 = count > 2 ? 2 * step * next : 0;
        long n3 = count > 3 ? 3 * step * next : 0;
        int scaleStride = 2 * supers * ROWS;
        int d0 = 0;
        int d1 = count > 1 ? scaleStride : 0;
        int d2 = count > 2 ? 2 * scaleStride : 0;
        int d3 = count > 3 ? 3 * scaleStride : 0;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        FloatVector total2 = total0;
        FloatVector total3 = total0;
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * SUPER_BYTES;
            FloatVector scaled0 = FloatVector.zero(F);
            FloatVector scaled1 = scaled0;
            FloatVector scaled2 = scaled0;
            FloatVector scaled3 = scaled0;
            FloatVector mins0 = scaled0;
            FloatVector mins1 = scaled0;
            FloatVector mins2 = scaled0;
            FloatVector mins3 = scaled0;
            for (int k = 0; k < SUBS; k++) {
                int col = sb * SUBS * SUB + k * SUB;
                long sub = at + SUBS_AT + (long) k * SUB_BYTES;
                ShortVector acc0 = ShortVector.zero(S);
                ShortVector acc1 = acc0;
                ShortVector acc2 = acc0;
                ShortVector acc3 = acc0;
                for (int chunk = 0; chunk < 2; chunk++) {
                    long lows = sub + chunk * CHUNK_BYTES;
                    IntVector v0 = ByteVector.fromMemorySegment(B32, codes, lows + n0, LE).reinterpretAsInts();
                    IntVector v1 = ByteVector.fromMemorySegment(B32, codes, lows + n1, LE).reinterpretAsInts();
                    IntVector v2 = ByteVector.fromMemorySegment(B32, codes, lows + n2, LE).reinterpretAsInts();
                    IntVector v3 = ByteVector.fromMemorySegment(B32, codes, lows + n3, LE).reinterpretAsInts();
                    // a loop, which C2 unrolls (see Q3KTokenKernel)
                    for (int pair = 0; pair < 4; pair++) {
                        ShortVector x = ShortVector.fromArray(S, spread, (col + 8 * chunk + 2 * pair) * ROWS);
                        acc0 = acc0.add(((ShortVector) v0.lanewise(VectorOperators.LSHR, 2 * pair).reinterpretAsBytes()
                                .and((byte) 3).convertShape(VectorOperators.B2S, S, 0)).mul(x));
                        acc1 = acc1.add(((ShortVector) v1.lanewise(VectorOperators.LSHR, 2 * pair).reinterpretAsBytes()
                                .and((byte) 3).convertShape(VectorOperators.B2S, S, 0)).mul(x));
                        acc2 = acc2.add(((ShortVector) v2.lanewise(VectorOperators.LSHR, 2 * pair).reinterpretAsBytes()
                                .and((byte) 3).convertShape(VectorOperators.B2S, S, 0)).mul(x));
                        acc3 = acc3.add(((ShortVector) v3.lanewise(VectorOperators.LSHR, 2 * pair).reinterpretAsBytes()
                                .and((byte) 3).convertShape(VectorOperators.B2S, S, 0)).mul(x));
                    }
                }
                float d = dx[col / BLOCK];
                FloatVector dv = FloatVector.broadcast(F, d);
                FloatVector dsum = FloatVector.broadcast(F, d * halfSums[col / SUB]);
                ByteVector both;
                both = ByteVector.fromMemorySegment(B16, codes, at + n0 + (long) k * ROWS, LE);
                scaled0 = ((FloatVector) ((IntVector) acc0.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc0.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) both.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0))
                        .fma(dv, scaled0);
                mins0 = ((FloatVector) both.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F,
                        0)).fma(dsum, mins0);
                both = ByteVector.fromMemorySegment(B16, codes, at + n1 + (long) k * ROWS, LE);
                scaled1 = ((FloatVector) ((IntVector) acc1.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc1.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) both.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0))
                        .fma(dv, scaled1);
                mins1 = ((FloatVector) both.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F,
                        0)).fma(dsum, mins1);
                both = ByteVector.fromMemorySegment(B16, codes, at + n2 + (long) k * ROWS, LE);
                scaled2 = ((FloatVector) ((IntVector) acc2.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc2.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) both.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0))
                        .fma(dv, scaled2);
                mins2 = ((FloatVector) both.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F,
                        0)).fma(dsum, mins2);
                both = ByteVector.fromMemorySegment(B16, codes, at + n3 + (long) k * ROWS, LE);
                scaled3 = ((FloatVector) ((IntVector) acc3.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc3.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) both.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0))
                        .fma(dv, scaled3);
                mins3 = ((FloatVector) both.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F,
                        0)).fma(dsum, mins3);
            }
            total0 = FloatVector.fromArray(F, ds, d0 + 2 * sb * ROWS).fma(scaled0, total0);
            total0 = FloatVector.fromArray(F, ds, d0 + (2 * sb + 1) * ROWS).neg().fma(mins0, total0);
            total1 = FloatVector.fromArray(F, ds, d1 + 2 * sb * ROWS).fma(scaled1, total1);
            total1 = FloatVector.fromArray(F, ds, d1 + (2 * sb + 1) * ROWS).neg().fma(mins1, total1);
            total2 = FloatVector.fromArray(F, ds, d2 + 2 * sb * ROWS).fma(scaled2, total2);
            total2 = FloatVector.fromArray(F, ds, d2 + (2 * sb + 1) * ROWS).neg().fma(mins2, total2);
            total3 = FloatVector.fromArray(F, ds, d3 + 2 * sb * ROWS).fma(scaled3, total3);
            total3 = FloatVector.fromArray(F, ds, d3 + (2 * sb + 1) * ROWS).neg().fma(mins3, total3);
        }
        total0.intoArray(y, yOffset + g * ROWS);
        if (count > 1) {
            total1.intoArray(y, yOffset + (g + step) * ROWS);
        }
        if (count > 2) {
            total2.intoArray(y, yOffset + (g + 2 * step) * ROWS);
        }
        if (count > 3) {
            total3.intoArray(y, yOffset + (g + 3 * step) * ROWS);
        }
    }

    /**
     * Compiles the kernel on its own before any product runs, once per JVM (see {@link InterleavedMatrix#warmUp}).
     */
    static synchronized void warmUp() {
        if (warm) {
            return;
        }
        warm = true;
        int cols = SUBS * SUB;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * SUPER_BYTES, 8 * ROWS, 0xFF);
        InterleavedQ2_K m = new InterleavedQ2_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[8 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(m, 0, 4, qx.spread, qx.scales, qx.halfSums, m.scalesAsFloats(0, 8, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
