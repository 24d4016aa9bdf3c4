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
        twoGroups(m, g, count, qx.spread, qx.scales, qx.halfSums, ds, y, yOffset);
    }

    /**
     * Groups g and g + 1 (g alone when count is 1), sharing each load of the spread activations. Written out in one
     * method: C2 stops inlining the Vector API into a method this large, and a vector op it does not inline is boxed.
     * A chunk's high bits sit {@code 4·chunk} places up: shifted left by 2 for the first chunk and right by 2 for the
     * second, column pair k's bit is then at bit 2 after a further shift right by k.
     */
    private static void twoGroups(InterleavedQ3_K m, int g, int count, short[] spread, float[] dx, int[] halfSums,
                                  float[] ds, float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        // a lone last group (count 1) reads its own codes twice and keeps one result
        long next = count == 2 ? (long) supers * SUPER_BYTES : 0;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * SUPER_BYTES;
            FloatVector scaled0 = FloatVector.zero(F);
            FloatVector scaled1 = scaled0;
            for (int k = 0; k < SUBS; k++) {
                int col = sb * SUBS * SUB + k * SUB;
                long sub = at + SUBS_AT + (long) k * SUB_BYTES;
                IntVector high0 = ByteVector.fromMemorySegment(B32, codes, sub + HIGHS_AT, LE).reinterpretAsInts();
                IntVector high1 = ByteVector.fromMemorySegment(B32, codes, sub + next + HIGHS_AT, LE)
                        .reinterpretAsInts();
                ShortVector acc0 = ShortVector.zero(S);
                ShortVector acc1 = acc0;
                for (int chunk = 0; chunk < 2; chunk++) {
                    long lows = sub + chunk * CHUNK_BYTES;
                    IntVector v0 = ByteVector.fromMemorySegment(B32, codes, lows, LE).reinterpretAsInts();
                    IntVector v1 = ByteVector.fromMemorySegment(B32, codes, lows + next, LE).reinterpretAsInts();
                    IntVector h0 = chunk == 0 ? high0.lanewise(VectorOperators.LSHL, 2)
                            : high0.lanewise(VectorOperators.LSHR, 2);
                    IntVector h1 = chunk == 0 ? high1.lanewise(VectorOperators.LSHL, 2)
                            : high1.lanewise(VectorOperators.LSHR, 2);
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
                    }
                }
                int offset = 4 * halfSums[col / SUB];
                IntVector sums0 = ((IntVector) acc0.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc0.convertShape(VectorOperators.S2I, I, 1)).sub(offset);
                IntVector sums1 = ((IntVector) acc1.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc1.convertShape(VectorOperators.S2I, I, 1)).sub(offset);
                FloatVector scale0 = (FloatVector) ByteVector.fromMemorySegment(B16, codes, at + (long) k * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector scale1 = (FloatVector) ByteVector.fromMemorySegment(B16, codes,
                        at + next + (long) k * ROWS, LE).convertShape(VectorOperators.B2F, F, 0);
                FloatVector d = FloatVector.broadcast(F, dx[col / BLOCK]);
                scaled0 = ((FloatVector) sums0.convert(VectorOperators.I2F, 0)).mul(scale0).fma(d, scaled0);
                scaled1 = ((FloatVector) sums1.convert(VectorOperators.I2F, 0)).mul(scale1).fma(d, scaled1);
            }
            total0 = FloatVector.fromArray(F, ds, sb * ROWS).fma(scaled0, total0);
            total1 = FloatVector.fromArray(F, ds, ((count - 1) * supers + sb) * ROWS).fma(scaled1, total1);
        }
        total0.intoArray(y, yOffset + g * ROWS);
        if (count == 2) {
            total1.intoArray(y, yOffset + (g + 1) * ROWS);
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
        MemorySegment[] data = InterleavedMatrix.warmUpData(2L * SUPER_BYTES, 2 * ROWS, 0xFF);
        InterleavedQ3_K m = new InterleavedQ3_K(2 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[2 * ROWS];
        float[] ds = new float[2 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> twoGroups(m, 0, 2, qx.spread, qx.scales, qx.halfSums, m.scalesAsFloats(0, 2, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
