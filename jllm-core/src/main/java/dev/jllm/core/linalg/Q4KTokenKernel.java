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
        fourGroups(m, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), sharing each load of the spread activations: four streams of codes,
     * which the hardware prefetchers fetch faster than two (docs/BENCHMARKS.md, session 10). A group past the count
     * reads group g's codes again and keeps no result. Written out in one method: a vector op C2 does not inline is
     * boxed. The steps shift 32-bit lanes, as {@link Q4TokenKernel}'s do.
     */
    private static void fourGroups(InterleavedQ4_K m, int g, int count, short[] spread, float[] dx, int[] xsums,
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
            FloatVector mins0 = scaled0;
            FloatVector scaled1 = scaled0;
            FloatVector mins1 = scaled0;
            FloatVector scaled2 = scaled0;
            FloatVector mins2 = scaled0;
            FloatVector scaled3 = scaled0;
            FloatVector mins3 = scaled0;
            for (int j = 0; j < SUBS; j++) {
                int b = sb * SUBS + j;
                long q = at + CODES + j * SUB_BYTES;
                int xs = b * BLOCK * ROWS;
                ShortVector acc0 = ShortVector.zero(S);
                ShortVector acc1 = acc0;
                ShortVector acc2 = acc0;
                ShortVector acc3 = acc0;
                for (int s = 0; s < STEPS; s++) {
                    int xc = xs + s * 8 * ROWS;
                    ShortVector x0 = ShortVector.fromArray(S, spread, xc);
                    ShortVector x1 = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                    ShortVector x2 = ShortVector.fromArray(S, spread, xc + 4 * ROWS);
                    ShortVector x3 = ShortVector.fromArray(S, spread, xc + 6 * ROWS);
                    IntVector v;
                    v = ShortVector.fromMemorySegment(S, codes, q + n0 + s * STEP_BYTES, LE).reinterpretAsInts();
                    acc0 = acc0.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                            .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                            .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                    .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                            .mul(x3))));
                    v = ShortVector.fromMemorySegment(S, codes, q + n1 + s * STEP_BYTES, LE).reinterpretAsInts();
                    acc1 = acc1.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                            .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                            .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                    .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                            .mul(x3))));
                    v = ShortVector.fromMemorySegment(S, codes, q + n2 + s * STEP_BYTES, LE).reinterpretAsInts();
                    acc2 = acc2.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                            .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                            .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                    .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                            .mul(x3))));
                    v = ShortVector.fromMemorySegment(S, codes, q + n3 + s * STEP_BYTES, LE).reinterpretAsInts();
                    acc3 = acc3.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                            .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                            .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                    .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                            .mul(x3))));
                }
                FloatVector d = FloatVector.broadcast(F, dx[b]);
                FloatVector dsum = FloatVector.broadcast(F, dx[b] * xsums[b]);
                scaled0 = ((FloatVector) ((IntVector) acc0.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc0.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n0 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled0);
                mins0 = ((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n0 + MINS + j * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, mins0);
                scaled1 = ((FloatVector) ((IntVector) acc1.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc1.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n1 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled1);
                mins1 = ((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n1 + MINS + j * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, mins1);
                scaled2 = ((FloatVector) ((IntVector) acc2.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc2.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n2 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled2);
                mins2 = ((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n2 + MINS + j * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, mins2);
                scaled3 = ((FloatVector) ((IntVector) acc3.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc3.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n3 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled3);
                mins3 = ((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n3 + MINS + j * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, mins3);
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
        int cols = SUBS * BLOCK;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * SUPER_BYTES, 8 * ROWS, 0x3F);
        InterleavedQ4_K m = new InterleavedQ4_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[8 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(m, 0, 4, qx.spread, qx.scales, qx.blockSums, m.scalesAsFloats(0, 8, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
