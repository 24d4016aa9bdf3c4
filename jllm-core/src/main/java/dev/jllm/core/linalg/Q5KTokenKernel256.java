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
 * {@link Q5KTokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same interleaved copies and
 * the same integer sums, bit-identical with the scalar twin. Each step's 32 bytes of nibbles and of fifth bits are
 * two 16-byte halves, the even columns' 16 rows and the odd ones', each rebuilt into 16 codes by the 512-bit kernel's
 * shifts and masks and widened to 16 shorts. The halves keep separate accumulators, so that a lane sums 16 products per
 * sub-block, as in the 512-bit kernel: an unsigned code·qx sum may wrap in 16 bits, but Σ(code − 16)·qx cannot
 * (|code − 16| ≤ 16, 16·16·127 &lt; 2¹⁵), so taking off the half's 16·Σqx in 16 bits
 * ({@link SpreadToken#fiveBitOffsets}, even then odd, 16 lanes each) leaves it exact, modulo 2¹⁶ and within range;
 * one accumulator for both halves would add 32 products, whose centred sum can reach 32·16·127 = 65024. The two
 * halves meet in 32 bits, with 16·Σqx added back. The sums are then scaled and the mins gathered as the 512-bit
 * kernel does, rows 0–7 and 8–15 in two 8-float vectors.
 */
final class Q5KTokenKernel256 {
    private static final int ROWS = InterleavedQ5_K.ROWS;
    private static final int BLOCK = 32;
    private static final int STEPS = BLOCK / 4;
    private static final int SUBS = InterleavedQ5_K.SUBS;
    private static final int MINS = InterleavedQ5_K.MINS;
    private static final int CODES = InterleavedQ5_K.CODES;
    private static final int SUB_BYTES = InterleavedQ5_K.SUB_BYTES;
    private static final int SUPER_BYTES = InterleavedQ5_K.SUPER_BYTES;
    private static final int HIGHS_AT = InterleavedQ5_0.HIGHS_AT;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static boolean warm;

    private Q5KTokenKernel256() {
    }

    /**
     * Groups g, g + step, … of m against the quantized token ({@link InterleavedMatrix#groups}); {@code ds} holds
     * each group's d then dmin per super-block, 16 rows each.
     */
    static void groups(InterleavedQ5_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m, g, count, qx, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), sharing each load of the spread
     * activations. Per step, the even columns of every group, then the odd ones: two activation vectors are live at a
     * time beside the eight accumulators. Each super-block's mins are gathered after its sub-blocks, in their order,
     * so that they are not live across the step loops. A group past the count reads group g's codes again and keeps
     * no result. Written out in one method: a vector op C2 does not inline is boxed.
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
        FloatVector low0 = FloatVector.zero(F);
        FloatVector high0 = low0;
        FloatVector low1 = low0;
        FloatVector high1 = low0;
        FloatVector low2 = low0;
        FloatVector high2 = low0;
        FloatVector low3 = low0;
        FloatVector high3 = low0;
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * SUPER_BYTES;
            FloatVector scaledLow0 = FloatVector.zero(F);
            FloatVector scaledHigh0 = scaledLow0;
            FloatVector scaledLow1 = scaledLow0;
            FloatVector scaledHigh1 = scaledLow0;
            FloatVector scaledLow2 = scaledLow0;
            FloatVector scaledHigh2 = scaledLow0;
            FloatVector scaledLow3 = scaledLow0;
            FloatVector scaledHigh3 = scaledLow0;
            for (int j = 0; j < SUBS; j++) {
                int b = sb * SUBS + j;
                long q = at + CODES + j * SUB_BYTES;
                ShortVector even0 = ShortVector.zero(S);
                ShortVector odd0 = even0;
                ShortVector even1 = even0;
                ShortVector odd1 = even0;
                ShortVector even2 = even0;
                ShortVector odd2 = even0;
                ShortVector even3 = even0;
                ShortVector odd3 = even0;
                for (int s = 0; s < STEPS; s++) {
                    int xc = (b * BLOCK + 4 * s) * ROWS;
                    long vp = q + s * 2 * ROWS;
                    long hp = q + HIGHS_AT + s / 4 * 2 * ROWS;
                    int shift = 2 * (s % 4);
                    IntVector h;
                    ByteVector v;
                    // even columns 4s and 4s + 2: the first 16 bytes of nibbles and of fifth bits
                    ShortVector xa = ShortVector.fromArray(S, spread, xc);
                    ShortVector xb = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                    h = ByteVector.fromMemorySegment(B16, codes, hp + n0, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B16, codes, vp + n0, LE);
                    even0 = even0.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B16, codes, hp + n1, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B16, codes, vp + n1, LE);
                    even1 = even1.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B16, codes, hp + n2, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B16, codes, vp + n2, LE);
                    even2 = even2.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B16, codes, hp + n3, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B16, codes, vp + n3, LE);
                    even3 = even3.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    // odd columns 4s + 1 and 4s + 3: the second 16 bytes of each
                    xa = ShortVector.fromArray(S, spread, xc + ROWS);
                    xb = ShortVector.fromArray(S, spread, xc + 3 * ROWS);
                    h = ByteVector.fromMemorySegment(B16, codes, hp + ROWS + n0, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B16, codes, vp + ROWS + n0, LE);
                    odd0 = odd0.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B16, codes, hp + ROWS + n1, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B16, codes, vp + ROWS + n1, LE);
                    odd1 = odd1.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B16, codes, hp + ROWS + n2, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B16, codes, vp + ROWS + n2, LE);
                    odd2 = odd2.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    h = ByteVector.fromMemorySegment(B16, codes, hp + ROWS + n3, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift);
                    v = ByteVector.fromMemorySegment(B16, codes, vp + ROWS + n3, LE);
                    odd3 = odd3.add(((ShortVector) v.and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                            .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                    .reinterpretAsBytes().and((byte) 0x0F)
                                    .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                    .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                }
                // Σ(code − 16)·qx of each half, exact in 16 bits whatever the wrapped sums were
                ShortVector evenOffset = ShortVector.fromArray(S, offsets, b * 2 * ROWS);
                ShortVector oddOffset = ShortVector.fromArray(S, offsets, b * 2 * ROWS + ROWS);
                int back = 16 * xsums[b];
                FloatVector d = FloatVector.broadcast(F, dx[b]);
                ShortVector e;
                ShortVector o;
                e = even0.sub(evenOffset);
                o = odd0.sub(oddOffset);
                scaledLow0 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, at + n0 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledLow0);
                scaledHigh0 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, at + n0 + j * ROWS + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledHigh0);
                e = even1.sub(evenOffset);
                o = odd1.sub(oddOffset);
                scaledLow1 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, at + n1 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledLow1);
                scaledHigh1 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, at + n1 + j * ROWS + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledHigh1);
                e = even2.sub(evenOffset);
                o = odd2.sub(oddOffset);
                scaledLow2 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, at + n2 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledLow2);
                scaledHigh2 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, at + n2 + j * ROWS + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledHigh2);
                e = even3.sub(evenOffset);
                o = odd3.sub(oddOffset);
                scaledLow3 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, at + n3 + j * ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledLow3);
                scaledHigh3 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, at + n3 + j * ROWS + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledHigh3);
            }
            // the mins against dx·Σqx of each sub-block, in the sub-blocks' order
            FloatVector minsLow0 = FloatVector.zero(F);
            FloatVector minsHigh0 = minsLow0;
            FloatVector minsLow1 = minsLow0;
            FloatVector minsHigh1 = minsLow0;
            FloatVector minsLow2 = minsLow0;
            FloatVector minsHigh2 = minsLow0;
            FloatVector minsLow3 = minsLow0;
            FloatVector minsHigh3 = minsLow0;
            for (int j = 0; j < SUBS; j++) {
                int b = sb * SUBS + j;
                FloatVector dsum = FloatVector.broadcast(F, dx[b] * xsums[b]);
                long mp = at + MINS + j * ROWS;
                minsLow0 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + n0, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsLow0);
                minsHigh0 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + n0 + L, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsHigh0);
                minsLow1 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + n1, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsLow1);
                minsHigh1 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + n1 + L, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsHigh1);
                minsLow2 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + n2, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsLow2);
                minsHigh2 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + n2 + L, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsHigh2);
                minsLow3 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + n3, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsLow3);
                minsHigh3 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + n3 + L, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsHigh3);
            }
            int dAt = 2 * sb * ROWS;
            int minAt = (2 * sb + 1) * ROWS;
            low0 = FloatVector.fromArray(F, ds, d0 + dAt).fma(scaledLow0, low0);
            low0 = FloatVector.fromArray(F, ds, d0 + minAt).neg().fma(minsLow0, low0);
            high0 = FloatVector.fromArray(F, ds, d0 + dAt + L).fma(scaledHigh0, high0);
            high0 = FloatVector.fromArray(F, ds, d0 + minAt + L).neg().fma(minsHigh0, high0);
            low1 = FloatVector.fromArray(F, ds, d1 + dAt).fma(scaledLow1, low1);
            low1 = FloatVector.fromArray(F, ds, d1 + minAt).neg().fma(minsLow1, low1);
            high1 = FloatVector.fromArray(F, ds, d1 + dAt + L).fma(scaledHigh1, high1);
            high1 = FloatVector.fromArray(F, ds, d1 + minAt + L).neg().fma(minsHigh1, high1);
            low2 = FloatVector.fromArray(F, ds, d2 + dAt).fma(scaledLow2, low2);
            low2 = FloatVector.fromArray(F, ds, d2 + minAt).neg().fma(minsLow2, low2);
            high2 = FloatVector.fromArray(F, ds, d2 + dAt + L).fma(scaledHigh2, high2);
            high2 = FloatVector.fromArray(F, ds, d2 + minAt + L).neg().fma(minsHigh2, high2);
            low3 = FloatVector.fromArray(F, ds, d3 + dAt).fma(scaledLow3, low3);
            low3 = FloatVector.fromArray(F, ds, d3 + minAt).neg().fma(minsLow3, low3);
            high3 = FloatVector.fromArray(F, ds, d3 + dAt + L).fma(scaledHigh3, high3);
            high3 = FloatVector.fromArray(F, ds, d3 + minAt + L).neg().fma(minsHigh3, high3);
        }
        int r0 = yOffset + g * ROWS;
        low0.intoArray(y, r0);
        high0.intoArray(y, r0 + L);
        if (count > 1) {
            low1.intoArray(y, r0 + step * ROWS);
            high1.intoArray(y, r0 + step * ROWS + L);
        }
        if (count > 2) {
            low2.intoArray(y, r0 + 2 * step * ROWS);
            high2.intoArray(y, r0 + 2 * step * ROWS + L);
        }
        if (count > 3) {
            low3.intoArray(y, r0 + 3 * step * ROWS);
            high3.intoArray(y, r0 + 3 * step * ROWS + L);
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
