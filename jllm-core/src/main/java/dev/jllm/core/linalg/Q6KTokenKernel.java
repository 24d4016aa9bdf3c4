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
 * One token against an {@link InterleavedQ6_K} copy through integers. Each step rebuilds four columns' 6-bit codes
 * from their nibbles and high pairs (masks, or-ed together, a 16-bit shift for the pairs stored higher) and multiplies
 * two widened column pairs by the activations in 16-bit lanes, as {@link Q4TokenKernel} does. The codes are unsigned
 * (0–63) and eight products per lane may pass 16 bits, but the sum of (code − 32)·qx does not: the lanes wrap, and
 * taking off 32 times the activations' sum ({@link SpreadToken#sixBitOffsets}) after each 16 columns leaves it
 * exact. Each 16 columns' sums are then scaled as floats by their int8 scale and x's block scale, each super-block's
 * by d.
 */
final class Q6KTokenKernel {
    private static final int ROWS = InterleavedQ6_K.ROWS;
    private static final int BLOCK = 32;
    private static final int BLOCKS = 8;
    private static final int BLOCKS_AT = InterleavedQ6_K.BLOCKS_AT;
    private static final int BLOCK_BYTES = InterleavedQ6_K.BLOCK_BYTES;
    private static final int HIGHS_AT = InterleavedQ6_K.HIGHS_AT;
    private static final int SUPER_BYTES = InterleavedQ6_K.SUPER_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static boolean warm;

    private Q6KTokenKernel() {
    }

    /** Groups {@code [g, g + count)} of m against the quantized token. */
    static void groups(InterleavedQ6_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m, g, count, qx.spread, qx.scales, qx.sixBitOffsets, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), sharing each load of the spread activations: four streams of codes,
     * which the hardware prefetchers fetch faster than two (docs/BENCHMARKS.md, session 10). A group past the count
     * reads group g's codes again and keeps no result. Written out in one method: a vector op C2 does not inline is
     * boxed.
     */
    private static void fourGroups(InterleavedQ6_K m, int g, int count, short[] spread, float[] dx, short[] offsets,
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
            for (int b = 0; b < BLOCKS; b++) {
                int gb = sb * BLOCKS + b;
                long block = at + BLOCKS_AT + b * BLOCK_BYTES;
                FloatVector d = FloatVector.broadcast(F, dx[gb]);
                for (int half = 0; half < 2; half++) {
                    ShortVector acc0 = ShortVector.zero(S);
                    ShortVector acc1 = acc0;
                    ShortVector acc2 = acc0;
                    ShortVector acc3 = acc0;
                    for (int p = 2 * half; p < 2 * half + 2; p++) {
                        int xc = (gb * BLOCK + 8 * p) * ROWS;
                        ShortVector xa = ShortVector.fromArray(S, spread, xc);
                        ShortVector xb = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                        ShortVector xe = ShortVector.fromArray(S, spread, xc + 4 * ROWS);
                        ShortVector xf = ShortVector.fromArray(S, spread, xc + 6 * ROWS);
                        long hp = block + HIGHS_AT + p * 2 * ROWS;
                        long vp = block + p * 4 * ROWS;
                        ByteVector h;
                        ByteVector v;
                        ByteVector u;
                        ByteVector k;
                        h = ByteVector.fromMemorySegment(B32, codes, hp + n0, LE);
                        v = ByteVector.fromMemorySegment(B32, codes, vp + n0, LE);
                        u = ByteVector.fromMemorySegment(B32, codes, vp + n0 + 2 * ROWS, LE);
                        k = h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
                        acc0 = acc0.add(((ShortVector) v.and((byte) 0x0F).or(h.and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                                .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                .reinterpretAsBytes().and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xb))
                                .add(((ShortVector) u.and((byte) 0x0F).or(k.and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xe))
                                .add(((ShortVector) u.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(k.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                .reinterpretAsBytes().and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xf));
                        h = ByteVector.fromMemorySegment(B32, codes, hp + n1, LE);
                        v = ByteVector.fromMemorySegment(B32, codes, vp + n1, LE);
                        u = ByteVector.fromMemorySegment(B32, codes, vp + n1 + 2 * ROWS, LE);
                        k = h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
                        acc1 = acc1.add(((ShortVector) v.and((byte) 0x0F).or(h.and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                                .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                .reinterpretAsBytes().and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xb))
                                .add(((ShortVector) u.and((byte) 0x0F).or(k.and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xe))
                                .add(((ShortVector) u.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(k.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                .reinterpretAsBytes().and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xf));
                        h = ByteVector.fromMemorySegment(B32, codes, hp + n2, LE);
                        v = ByteVector.fromMemorySegment(B32, codes, vp + n2, LE);
                        u = ByteVector.fromMemorySegment(B32, codes, vp + n2 + 2 * ROWS, LE);
                        k = h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
                        acc2 = acc2.add(((ShortVector) v.and((byte) 0x0F).or(h.and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                                .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                .reinterpretAsBytes().and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xb))
                                .add(((ShortVector) u.and((byte) 0x0F).or(k.and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xe))
                                .add(((ShortVector) u.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(k.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                .reinterpretAsBytes().and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xf));
                        h = ByteVector.fromMemorySegment(B32, codes, hp + n3, LE);
                        v = ByteVector.fromMemorySegment(B32, codes, vp + n3, LE);
                        u = ByteVector.fromMemorySegment(B32, codes, vp + n3 + 2 * ROWS, LE);
                        k = h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
                        acc3 = acc3.add(((ShortVector) v.and((byte) 0x0F).or(h.and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                                .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                .reinterpretAsBytes().and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xb))
                                .add(((ShortVector) u.and((byte) 0x0F).or(k.and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xe))
                                .add(((ShortVector) u.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(k.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                .reinterpretAsBytes().and((byte) 0x30))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xf));
                    }
                    int sub = 2 * b + half;
                    ShortVector offset = ShortVector.fromArray(S, offsets, (sb * 16 + sub) * 2 * ROWS);
                    scaled0 = ((FloatVector) ((IntVector) acc0.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                            .add((IntVector) acc0.sub(offset).convertShape(VectorOperators.S2I, I, 1))
                            .convert(VectorOperators.I2F, 0))
                            .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n0 + sub * ROWS, LE)
                                    .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled0);
                    scaled1 = ((FloatVector) ((IntVector) acc1.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                            .add((IntVector) acc1.sub(offset).convertShape(VectorOperators.S2I, I, 1))
                            .convert(VectorOperators.I2F, 0))
                            .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n1 + sub * ROWS, LE)
                                    .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled1);
                    scaled2 = ((FloatVector) ((IntVector) acc2.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                            .add((IntVector) acc2.sub(offset).convertShape(VectorOperators.S2I, I, 1))
                            .convert(VectorOperators.I2F, 0))
                            .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n2 + sub * ROWS, LE)
                                    .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled2);
                    scaled3 = ((FloatVector) ((IntVector) acc3.sub(offset).convertShape(VectorOperators.S2I, I, 0))
                            .add((IntVector) acc3.sub(offset).convertShape(VectorOperators.S2I, I, 1))
                            .convert(VectorOperators.I2F, 0))
                            .mul((FloatVector) ByteVector.fromMemorySegment(B16, codes, at + n3 + sub * ROWS, LE)
                                    .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled3);
                }
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
        int cols = BLOCKS * BLOCK;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * SUPER_BYTES, 4 * ROWS, 0x3F);
        InterleavedQ6_K m = new InterleavedQ6_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[4 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(m, 0, 4, qx.spread, qx.scales, qx.sixBitOffsets, m.scalesAsFloats(0, 4, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
