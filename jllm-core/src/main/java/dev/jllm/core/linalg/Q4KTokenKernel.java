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
 * One token against an {@link InterleavedQ4_K} copy through integers. Each 32-column sub-block is summed as
 * {@link Q4TokenKernel} sums a Q4_0 block (codes below 16, so the 16-bit lanes do not overflow); the sum, exact as a
 * float, is scaled by the 16 rows' sub-block scales and x's block scale, and x's block sum times the rows' mins
 * gathers apart. Each super-block then adds {@code d·scaled − dmin·mins}. About a tenth more work per weight than
 * Q4_0 for the scales, on 148 bytes per 256 weights against Q4_0's 144.
 */
final class Q4KTokenKernel {
    private static final int ROWS = InterleavedQ4_K.ROWS;
    private static final int BLOCK = 32;
    private static final int STEPS = InterleavedQ4_0.STEPS;
    private static final int STEP_BYTES = InterleavedQ4_0.STEP_BYTES;
    private static final int SUBS = InterleavedQ4_K.SUBS;
    private static final int MINS = InterleavedQ4_K.MINS;
    private static final int CODES = InterleavedQ4_K.CODES;
    private static final int SUPER_BYTES = InterleavedQ4_K.SUPER_BYTES;
    private static final int SUB_BYTES = InterleavedQ4_0.GROUP_BLOCK_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int NIBBLE = InterleavedQ4_0.NIBBLES;
    private static boolean warm;

    private Q4KTokenKernel() {
    }

    /** Groups {@code [g, g + count)} of m against the quantized token. */
    static void groups(InterleavedQ4_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        twoGroups(m, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset);
    }


    /**
     * Groups g and g + 1 (g alone when count is 1), sharing each load of the spread activations. Written out in one
     * method: C2 stops inlining the Vector API into a method this large, and a vector op it does not inline is boxed.
     * The steps shift 32-bit lanes, as {@link Q4TokenKernel}'s do. They stay a loop here: written out as there, the
     * kernel ran 6% faster in cache but 10% slower on weights from memory at two threads (the same JVM, alternating).
     */
    private static void twoGroups(InterleavedQ4_K m, int g, int count, short[] spread, float[] dx, int[] xsums,
                                  float[] ds, float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        // a lone last group (count 1) reads its own codes twice and keeps one result
        long next = count == 2 ? (long) supers * SUPER_BYTES : 0;
        int nextScales = (count - 1) * 2 * supers * ROWS;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * SUPER_BYTES;
            FloatVector scaled0 = FloatVector.zero(F);
            FloatVector mins0 = scaled0;
            FloatVector scaled1 = scaled0;
            FloatVector mins1 = scaled0;
            for (int j = 0; j < SUBS; j++) {
                int b = sb * SUBS + j;
                long q = at + CODES + j * SUB_BYTES;
                int xs = b * BLOCK * ROWS;
                ShortVector acc0 = ShortVector.zero(S);
                ShortVector acc1 = acc0;
                for (int s = 0; s < STEPS; s++) {
                    int xc = xs + s * 8 * ROWS;
                    ShortVector x0 = ShortVector.fromArray(S, spread, xc);
                    ShortVector x1 = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                    ShortVector x2 = ShortVector.fromArray(S, spread, xc + 4 * ROWS);
                    ShortVector x3 = ShortVector.fromArray(S, spread, xc + 6 * ROWS);
                    IntVector v = ShortVector.fromMemorySegment(S, codes, q + s * STEP_BYTES, LE).reinterpretAsInts();
                    IntVector u = ShortVector.fromMemorySegment(S, codes, q + next + s * STEP_BYTES, LE)
                            .reinterpretAsInts();
                    acc0 = acc0.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                            .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                            .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                    .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                            .mul(x3))));
                    acc1 = acc1.add(u.and(NIBBLE).reinterpretAsShorts().mul(x0)
                            .add(u.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                            .add(u.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                    .add(u.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                            .mul(x3))));
                }
                FloatVector d = FloatVector.broadcast(F, dx[b]);
                FloatVector dsum = FloatVector.broadcast(F, dx[b] * xsums[b]);
                IntVector sums0 = ((IntVector) acc0.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc0.convertShape(VectorOperators.S2I, I, 1));
                IntVector sums1 = ((IntVector) acc1.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc1.convertShape(VectorOperators.S2I, I, 1));
                FloatVector scale0 = (FloatVector) ByteVector.fromMemorySegment(B16, codes, at + j * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector scale1 = (FloatVector) ByteVector.fromMemorySegment(B16, codes, at + next + j * ROWS,
                        LE).convertShape(VectorOperators.B2F, F, 0);
                FloatVector min0 = (FloatVector) ByteVector.fromMemorySegment(B16, codes, at + MINS + j * ROWS,
                        LE).convertShape(VectorOperators.B2F, F, 0);
                FloatVector min1 = (FloatVector) ByteVector.fromMemorySegment(B16, codes,
                        at + next + MINS + j * ROWS, LE).convertShape(VectorOperators.B2F, F, 0);
                scaled0 = ((FloatVector) sums0.convert(VectorOperators.I2F, 0)).mul(scale0).fma(d, scaled0);
                scaled1 = ((FloatVector) sums1.convert(VectorOperators.I2F, 0)).mul(scale1).fma(d, scaled1);
                mins0 = min0.fma(dsum, mins0);
                mins1 = min1.fma(dsum, mins1);
            }
            total0 = FloatVector.fromArray(F, ds, 2 * sb * ROWS).fma(scaled0, total0);
            total0 = FloatVector.fromArray(F, ds, (2 * sb + 1) * ROWS).neg().fma(mins0, total0);
            total1 = FloatVector.fromArray(F, ds, nextScales + 2 * sb * ROWS).fma(scaled1, total1);
            total1 = FloatVector.fromArray(F, ds, nextScales + (2 * sb + 1) * ROWS).neg().fma(mins1, total1);
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
        int cols = SUBS * BLOCK;
        MemorySegment[] data = InterleavedMatrix.warmUpData(2L * SUPER_BYTES, 4 * ROWS, 0x3F);
        InterleavedQ4_K m = new InterleavedQ4_K(2 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[2 * ROWS];
        float[] ds = new float[4 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> twoGroups(m, 0, 2, qx.spread, qx.scales, qx.blockSums, m.scalesAsFloats(0, 4, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
