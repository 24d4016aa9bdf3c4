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
     * Groups {@code [g, g + count)} of m against the quantized token ({@link InterleavedMatrix#groups}); {@code ds}
     * holds each group's d then dmin per super-block, 16 rows each.
     */
    static void groups(InterleavedQ5_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m, g, count, qx, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), sharing each load of the spread activations:
     * four streams of codes, which the hardware prefetchers fetch faster than two (docs/BENCHMARKS.md, session 10). A
     * group past the count reads group g's codes again and keeps no result. Written out in one method: a vector op C2
     * does not inline is boxed.
     */
    private static void fourGroups(InterleavedQ5_K m, int g, int count, SpreadToken qx, float[] ds, float[] y,
                                   int yOffset) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        short[] spread = qx.spread;
        float[] dx = qx.scales;
        int[] xsums = qx.blockSums;
        short[] offsets = qx.fiveBitOffsets;
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
                ShortVector acc0 = ShortVector.zero(S);
                ShortVector acc1 = acc0;
                ShortVector acc2 = acc0;
                ShortVector acc3 = acc0;
                for (int s = 0; s < STEPS; s++) {
                    int xc = (b * BLOCK + 4 * s) * ROWS;
                    ShortVector xa = ShortVector.fromArray(S, spread, xc);
                    ShortVector xb = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                    long vp = q + s * 2 * ROWS;
                    long hp = q + HIGHS_AT + s / 4 * 2 * ROWS;
                    int shift = 2 * (s % 4);
                    IntVector h;
                    ByteVector v;
                    h = ByteVector.fromMemorySegment(B32, codes, hp + n0, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B32, codes, vp + n0, LE);
                    acc0 = acc0.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B32, codes, hp + n1, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B32, codes, vp + n1, LE);
                    acc1 = acc1.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B32, codes, hp + n2, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B32, codes, vp + n2, LE);
                    acc2 = acc2.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B32, codes, hp + n3, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B32, codes, vp + n3, LE);
                    acc3 = acc3.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                }
                ShortVector offset = ShortVector.fromArray(S, offsets, b * 2 * ROWS);
                int back = 16 * xsums[b];
                FloatVector d = FloatVector.broadcast(F, dx[b]);
                FloatVector dsum = FloatVector.broadcast(F, dx[b] * xsums[b]);
                scaled0 = ((FloatVector) ((IntVector) acc0.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc0.sub(offset).convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n0 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled0);
                mins0 = ((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n0 + MINS + j * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, mins0);
                scaled1 = ((FloatVector) ((IntVector) acc1.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc1.sub(offset).convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n1 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled1);
                mins1 = ((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n1 + MINS + j * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, mins1);
                scaled2 = ((FloatVector) ((IntVector) acc2.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc2.sub(offset).convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n2 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled2);
                mins2 = ((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n2 + MINS + j * ROWS, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, mins2);
                scaled3 = ((FloatVector) ((IntVector) acc3.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc3.sub(offset).convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
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

    /** Compiles the kernel on its own before any product runs, once per JVM (see {@link InterleavedMatrix#warmUp}). */
    static synchronized void warmUp() {
        if (warm) {
            return;
        }
        warm = true;
        int cols = 2 * SUBS * BLOCK;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * 2 * SUPER_BYTES, 4 * 4 * ROWS, 0x3F);
        InterleavedQ5_K m = new InterleavedQ5_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[16 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(m, 0, 4, qx, m.scalesAsFloats(0, 16, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
