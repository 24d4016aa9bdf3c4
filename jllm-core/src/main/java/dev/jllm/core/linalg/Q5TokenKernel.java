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
 * One token against an {@link InterleavedQ5_0} copy through integers. Each step rebuilds four columns' 5-bit codes
 * from their nibbles and fifth bits (a 16-bit shift of the fifth bits by the step's place, then a shift and a mask
 * per column pair) and multiplies two widened column pairs by the activations in 16-bit lanes, as
 * {@link Q4TokenKernel} does. Sixteen products of an unsigned code (0–31) may pass 16 bits, but the sum of
 * (code − 16)·qx does not: the lanes wrap, and taking off 16 times the activations' sums
 * ({@link SpreadToken#fiveBitOffsets}) after each block leaves it exact. The steps run as a loop, not written out:
 * C2 unrolls it, and the method stays small enough for C2 to inline every vector operation. Q5_1 copies run the same
 * steps ({@link InterleavedQ5_1}: the 16·Σqx added back, and a minimum per block against x's block sum).
 */
final class Q5TokenKernel {
    private static final int ROWS = InterleavedQ5_0.ROWS;
    private static final int BLOCK = 32;
    private static final int STEPS = BLOCK / 4;
    private static final int HIGHS_AT = InterleavedQ5_0.HIGHS_AT;
    private static final int GROUP_BLOCK_BYTES = InterleavedQ5_0.GROUP_BLOCK_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static boolean warm;

    private Q5TokenKernel() {
    }

    /** Groups {@code [g, g + count)} of m against the quantized token ({@link InterleavedMatrix#groups}). */
    static void groups(InterleavedQ5_0 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m.codes, m.blocks, m.runStep, false, g, count, qx, ds, y, yOffset);
    }

    /**
     * Groups {@code [g, g + count)} of a Q5_1 copy (the same interleaved codes, without Q5_0's −16, and a minimum per
     * block) against the quantized token.
     */
    static void groups(InterleavedQ5_1 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m.codes, m.blocks, m.runStep, true, g, count, qx, ds, y, yOffset);
    }

    /**
     * The kernel: groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), sharing each load of the spread
     * activations. Four groups are four streams of codes, which the hardware prefetchers fetch faster than two
     * (docs/BENCHMARKS.md, session 10). A group past the count reads group g's codes again and keeps no result. With
     * {@code mins} (Q5_1) the codes carry no −16: the 16·Σqx taken off to keep the sums in 16 bits is added back in
     * 32, {@code ds} holds a d and an m set per block, and each block adds m·dx·Σqx. Written out in one method: a
     * vector op C2 does not inline is boxed.
     */
    private static void fourGroups(MemorySegment codes, int blocks, int step, boolean mins, int g, int count, SpreadToken qx,
            float[] ds, float[] y, int yOffset) {
        int sets = mins ? 2 : 1;
        int[] xsums = qx.blockSums;
        short[] spread = qx.spread;
        float[] dx = qx.scales;
        short[] offsets = qx.fiveBitOffsets;
        long next = (long) blocks * GROUP_BLOCK_BYTES;
        long n0 = 0;
        long n1 = count > 1 ? step * next : 0;
        long n2 = count > 2 ? 2 * step * next : 0;
        long n3 = count > 3 ? 3 * step * next : 0;
        int scaleStride = sets * blocks * ROWS;
        int d1 = count > 1 ? scaleStride : 0;
        int d2 = count > 2 ? 2 * scaleStride : 0;
        int d3 = count > 3 ? 3 * scaleStride : 0;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        FloatVector total2 = total0;
        FloatVector total3 = total0;
        for (int b = 0; b < blocks; b++) {
            long q = (long) (g * blocks + b) * GROUP_BLOCK_BYTES;
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
            int back = mins ? 16 * xsums[b] : 0;
            float d = dx[b];
            int at = sets * b * ROWS;
            total0 = ((FloatVector) ((IntVector) acc0.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) acc0.sub(offset).convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, at).mul(d), total0);
            total1 = ((FloatVector) ((IntVector) acc1.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) acc1.sub(offset).convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d1 + at).mul(d), total1);
            total2 = ((FloatVector) ((IntVector) acc2.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) acc2.sub(offset).convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d2 + at).mul(d), total2);
            total3 = ((FloatVector) ((IntVector) acc3.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) acc3.sub(offset).convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d3 + at).mul(d), total3);
            if (mins) {
                FloatVector mx = FloatVector.broadcast(F, d * xsums[b]);
                total0 = FloatVector.fromArray(F, ds, at + ROWS).fma(mx, total0);
                total1 = FloatVector.fromArray(F, ds, d1 + at + ROWS).fma(mx, total1);
                total2 = FloatVector.fromArray(F, ds, d2 + at + ROWS).fma(mx, total2);
                total3 = FloatVector.fromArray(F, ds, d3 + at + ROWS).fma(mx, total3);
            }
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
     * Compiles the kernel on its own before any product runs, once per JVM (see {@link InterleavedMatrix#warmUp}),
     * with Q5_0's and Q5_1's blocks in turn, so that neither type's path is left out of the compiled code.
     */
    static synchronized void warmUp() {
        if (warm) {
            return;
        }
        warm = true;
        int cols = 4 * BLOCK;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * 4 * GROUP_BLOCK_BYTES, 4 * 2 * 4 * ROWS, 0xFF);
        InterleavedQ5_1 m = new InterleavedQ5_1(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[32 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(data[0], 4, 1, i % 2 == 1, 0, 4, qx, m.scalesAsFloats(0, 32, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
