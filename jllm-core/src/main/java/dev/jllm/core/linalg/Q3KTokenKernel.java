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
 * One token against an {@link InterleavedQ3_K} copy through integers. Each chunk of 8 columns is one 32-byte load of
 * low bit pairs; a 16-bit shift and a mask give a widened column pair's low bits, the sub-block's high bits (one
 * 32-byte load per 16 columns, shifted into place the same way) add bit 2, and the codes (0–7) multiply the spread
 * activations in 16-bit lanes, as {@link Q4TokenKernel} does: 16 products of at most 7·127 stay within 16 bits. Each
 * 16 columns' sums then lose 4 times the activations' sum there ({@link SpreadToken#halfSums}: the file's values are
 * the codes minus 4), and are scaled as floats by their int8 scale and x's block scale, each super-block's by d.
 */
final class Q3KTokenKernel {
    private static final int ROWS = InterleavedQ3_K.ROWS;
    private static final int BLOCK = 32;
    private static final int SUB = InterleavedQ3_K.SUB;
    private static final int SUBS = InterleavedQ3_K.SUBS;
    private static final int SUBS_AT = InterleavedQ3_K.SUBS_AT;
    private static final int SUB_BYTES = InterleavedQ3_K.SUB_BYTES;
    private static final int CHUNK_BYTES = InterleavedQ3_K.CHUNK_BYTES;
    private static final int HIGHS_AT = InterleavedQ3_K.HIGHS_AT;
    private static final int SUPER_BYTES = InterleavedQ3_K.SUPER_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static boolean warm;

    private Q3KTokenKernel() {
    }

    /** Groups {@code [g, g + count)} of m against the quantized token. */
    static void groups(InterleavedQ3_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m, g, count, qx.spread, qx.scales, qx.halfSums, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), sharing each load of the spread activations:
     * four streams of codes, which the hardware prefetchers fetch faster than two (docs/BENCHMARKS.md, session 10). A
     * group past the count reads group g's codes again and keeps no result. Written out in one method: a vector op C2
     * does not inline is boxed. A chunk's high bits sit {@code 4·chunk} places up: shifted left by 2 for the first
     * chunk and right by 2 for the second, column pair k's bit is then at bit 2 after a further shift right by k.
     */
    private static void fourGroups(InterleavedQ3_K m, int g, int count, short[] spread, float[] dx, int[] halfSums,
                                   float[] ds, float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        long next = (long) supers * SUPER_BYTES;
        long n0 = 0;
        int step = m.runStep;
        long n1 = count > 1 ? step * next : 0;
        long n2 = count > 2 ? 2 * step * next : 0;
        long n3 = count > 3 ? 3 * step * next : 0;
        int d1 = count > 1 ? supers * ROWS : 0;
        int d2 = count > 2 ? 2 * supers * ROWS : 0;
        int d3 = count > 3 ? 3 * supers * ROWS : 0;
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
            for (int k = 0; k < SUBS; k++) {
                int col = sb * SUBS * SUB + k * SUB;
                long sub = at + SUBS_AT + (long) k * SUB_BYTES;
                IntVector high0 = ByteVector.fromMemorySegment(B32, codes, sub + n0 + HIGHS_AT, LE)
                        .reinterpretAsInts();
                IntVector high1 = ByteVector.fromMemorySegment(B32, codes, sub + n1 + HIGHS_AT, LE)
                        .reinterpretAsInts();
                IntVector high2 = ByteVector.fromMemorySegment(B32, codes, sub + n2 + HIGHS_AT, LE)
                        .reinterpretAsInts();
                IntVector high3 = ByteVector.fromMemorySegment(B32, codes, sub + n3 + HIGHS_AT, LE)
                        .reinterpretAsInts();
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
                    IntVector h0 = chunk == 0 ? high0.lanewise(VectorOperators.LSHL, 2)
                            : high0.lanewise(VectorOperators.LSHR, 2);
                    IntVector h1 = chunk == 0 ? high1.lanewise(VectorOperators.LSHL, 2)
                            : high1.lanewise(VectorOperators.LSHR, 2);
                    IntVector h2 = chunk == 0 ? high2.lanewise(VectorOperators.LSHL, 2)
                            : high2.lanewise(VectorOperators.LSHR, 2);
                    IntVector h3 = chunk == 0 ? high3.lanewise(VectorOperators.LSHL, 2)
                            : high3.lanewise(VectorOperators.LSHR, 2);
                    // a loop, which C2 unrolls: written out four times, the kernel grew past what C2 inlines
                    // whole when other vector code had run first
                    for (int pair = 0; pair < 4; pair++) {
                        ShortVector x = ShortVector.fromArray(S, spread, (col + 8 * chunk + 2 * pair) * ROWS);
                        acc0 = acc0.add(((ShortVector) v0.lanewise(VectorOperators.LSHR, 2 * pair).reinterpretAsBytes()
                                .and((byte) 3).or(h0.lanewise(VectorOperators.LSHR, pair).reinterpretAsBytes()
                                        .and((byte) 4))
                                .convertShape(VectorOperators.B2S, S, 0)).mul(x));
                        acc1 = acc1.add(((ShortVector) v1.lanewise(VectorOperators.LSHR, 2 * pair).reinterpretAsBytes()
                                .and((byte) 3).or(h1.lanewise(VectorOperators.LSHR, pair).reinterpretAsBytes()
                                        .and((byte) 4))
                                .convertShape(VectorOperators.B2S, S, 0)).mul(x));
                        acc2 = acc2.add(((ShortVector) v2.lanewise(VectorOperators.LSHR, 2 * pair).reinterpretAsBytes()
                                .and((byte) 3).or(h2.lanewise(VectorOperators.LSHR, pair).reinterpretAsBytes()
                                        .and((byte) 4))
                                .convertShape(VectorOperators.B2S, S, 0)).mul(x));
                        acc3 = acc3.add(((ShortVector) v3.lanewise(VectorOperators.LSHR, 2 * pair).reinterpretAsBytes()
                                .and((byte) 3).or(h3.lanewise(VectorOperators.LSHR, pair).reinterpretAsBytes()
                                        .and((byte) 4))
                                .convertShape(VectorOperators.B2S, S, 0)).mul(x));
                    }
                }
                int offset = 4 * halfSums[col / SUB];
                FloatVector d = FloatVector.broadcast(F, dx[col / BLOCK]);
                scaled0 = ((FloatVector) ((IntVector) acc0.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc0.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n0 + (long) k * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled0);
                scaled1 = ((FloatVector) ((IntVector) acc1.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc1.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n1 + (long) k * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled1);
                scaled2 = ((FloatVector) ((IntVector) acc2.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc2.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n2 + (long) k * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled2);
                scaled3 = ((FloatVector) ((IntVector) acc3.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc3.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n3 + (long) k * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled3);
            }
            total0 = FloatVector.fromArray(F, ds, sb * ROWS).fma(scaled0, total0);
            total1 = FloatVector.fromArray(F, ds, d1 + sb * ROWS).fma(scaled1, total1);
            total2 = FloatVector.fromArray(F, ds, d2 + sb * ROWS).fma(scaled2, total2);
            total3 = FloatVector.fromArray(F, ds, d3 + sb * ROWS).fma(scaled3, total3);
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
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * SUPER_BYTES, 4 * ROWS, 0xFF);
        InterleavedQ3_K m = new InterleavedQ3_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[4 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(m, 0, 4, qx.spread, qx.scales, qx.halfSums, m.scalesAsFloats(0, 4, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
