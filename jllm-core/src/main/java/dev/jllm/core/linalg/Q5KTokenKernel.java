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
 * One token against an {@link InterleavedQ5_K} copy through integers: each 32-column sub-block's codes are rebuilt
 * and summed as {@link Q5TokenKernel} sums a Q5_0 block (16-bit lanes made exact by taking off 16·Σqx, then 16·Σqx
 * added back as an int, since Q5_K's codes carry no offset), and the sums are scaled and the mins gathered as
 * {@link Q4KTokenKernel} does. Steps run as a loop (see {@link Q5TokenKernel}).
 */
final class Q5KTokenKernel {
    private static final int ROWS = InterleavedQ5_K.ROWS;
    private static final int BLOCK = 32;
    private static final int STEPS = BLOCK / 4;
    private static final int SUBS = InterleavedQ5_K.SUBS;
    private static final int MINS = InterleavedQ5_K.MINS;
    private static final int CODES = InterleavedQ5_K.CODES;
    private static final int SUB_BYTES = InterleavedQ5_K.SUB_BYTES;
    private static final int SUPER_BYTES = InterleavedQ5_K.SUPER_BYTES;
    private static final int HIGHS_AT = InterleavedQ5_0.HIGHS_AT;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static boolean warm;

    private Q5KTokenKernel() {
    }

    /**
     * Groups {@code [g, g + count)} of m against the quantized token, two at a time sharing x's loads; {@code ds} holds
     * each group's d then dmin per super-block, 16 rows each.
     */
    static void groups(InterleavedQ5_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        short[] spread = qx.spread;
        float[] dx = qx.scales;
        int[] xsums = qx.blockSums;
        short[] offsets = qx.fiveBitOffsets;
        // a lone last group reads its own codes twice and keeps one result
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
                ShortVector acc0 = ShortVector.zero(S);
                ShortVector acc1 = acc0;
                for (int s = 0; s < STEPS; s++) {
                    int xc = (b * BLOCK + 4 * s) * ROWS;
                    ShortVector xa = ShortVector.fromArray(S, spread, xc);
                    ShortVector xb = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                    long vp = q + s * 2 * ROWS;
                    long hp = q + HIGHS_AT + s / 4 * 2 * ROWS;
                    int shift = 2 * (s % 4);
                    IntVector h = ByteVector.fromMemorySegment(B32, codes, hp, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    ByteVector v = ByteVector.fromMemorySegment(B32, codes, vp, LE);
                    acc0 = acc0.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B32, codes, hp + next, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B32, codes, vp + next, LE);
                    acc1 = acc1.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                }
                ShortVector offset = ShortVector.fromArray(S, offsets, b * 2 * ROWS);
                acc0 = acc0.sub(offset);
                acc1 = acc1.sub(offset);
                int back = 16 * xsums[b];
                IntVector sums0 = ((IntVector) acc0.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc0.convertShape(VectorOperators.S2I, I, 1)).add(back);
                IntVector sums1 = ((IntVector) acc1.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc1.convertShape(VectorOperators.S2I, I, 1)).add(back);
                FloatVector d = FloatVector.broadcast(F, dx[b]);
                FloatVector dsum = FloatVector.broadcast(F, dx[b] * xsums[b]);
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

    /** Compiles the kernel on its own before any product runs, once per JVM (see {@link InterleavedMatrix#warmUp}). */
    static synchronized void warmUp() {
        if (warm) {
            return;
        }
        warm = true;
        int cols = 2 * SUBS * BLOCK;
        MemorySegment[] data = InterleavedMatrix.warmUpData(2L * 2 * SUPER_BYTES, 2 * 4 * ROWS, 0x3F);
        InterleavedQ5_K m = new InterleavedQ5_K(2 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[2 * ROWS];
        float[] ds = new float[8 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> groups(m, 0, 2, qx, m.scalesAsFloats(0, 8, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
