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
 *
 * <p>A run's groups go two at a time: four written out made a method too big for C1's profiling tier ("out of
 * virtual registers"), which then never reached C2 and ran every vector op boxed.
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
     * Groups g, g + step, … (count 1 to 4) of m against the quantized token ({@link InterleavedMatrix#groups}), two
     * at a time; a lone last group runs paired with itself and keeps one result. {@code ds} holds each group's d then
     * dmin per super-block, 16 rows each.
     */
    static void groups(InterleavedQ5_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        int step = m.runStep;
        for (int k = 0; k < count; k += 2) {
            int other = k + 1 < count ? k + 1 : k;
            twoGroups(m, g + k * step, g + other * step, k, other, qx, ds, y, yOffset, other != k);
        }
    }

    /**
     * Groups a and b (the run's k-th and l-th, whose scales sit at k·scaleStride and l·scaleStride of ds) against the
     * quantized token, sharing each load of the spread activations; b's result is stored when {@code storeB}. A
     * sub-block's even columns, step by step, then its odd ones, in one loop over the two halves: two activation
     * vectors and two accumulators are live at a time beside the even halves' sums. Each super-block's mins are
     * gathered after its sub-blocks, in their order, so that they are not live across the step loops. Two groups, and
     * the halves in a loop, so that C1's profiling tier compiles the method: four groups written out ran out of its
     * virtual registers, and the method never reached C2. Written out in one method: a vector op C2 does not inline
     * is boxed.
     */
    private static void twoGroups(InterleavedQ5_K m, int a, int b, int k, int l, SpreadToken qx, float[] ds,
                                  float[] y, int yOffset, boolean storeB) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        short[] spread = qx.spread;
        float[] dx = qx.scales;
        int[] xsums = qx.blockSums;
        short[] offsets = qx.fiveBitOffsets;
        long startA = (long) a * supers * SUPER_BYTES;
        long nB = ((long) b - a) * supers * SUPER_BYTES;
        int scaleStride = 2 * supers * ROWS;
        int dA = k * scaleStride;
        int dB = l * scaleStride;
        FloatVector lowA = FloatVector.zero(F);
        FloatVector highA = lowA;
        FloatVector lowB = lowA;
        FloatVector highB = lowA;
        for (int sb = 0; sb < supers; sb++) {
            long at = startA + (long) sb * SUPER_BYTES;
            FloatVector scaledLowA = FloatVector.zero(F);
            FloatVector scaledHighA = scaledLowA;
            FloatVector scaledLowB = scaledLowA;
            FloatVector scaledHighB = scaledLowA;
            for (int j = 0; j < SUBS; j++) {
                int blk = sb * SUBS + j;
                long q = at + CODES + j * SUB_BYTES;
                ShortVector evenA = ShortVector.zero(S);
                ShortVector evenB = evenA;
                ShortVector oddA = evenA;
                ShortVector oddB = evenA;
                // the even columns of every step (4s and 4s + 2: the first 16 bytes of its nibbles and fifth bits),
                // then the odd ones (4s + 1 and 4s + 3: the last 16 bytes), each half in accumulators of its own
                for (int half = 0; half < 2; half++) {
                    ShortVector accA = ShortVector.zero(S);
                    ShortVector accB = accA;
                    for (int s = 0; s < STEPS; s++) {
                        int xc = (blk * BLOCK + 4 * s + half) * ROWS;
                        long vp = q + s * 2 * ROWS + half * ROWS;
                        long hp = q + HIGHS_AT + s / 4 * 2 * ROWS + half * ROWS;
                        int shift = 2 * (s % 4);
                        ShortVector xa = ShortVector.fromArray(S, spread, xc);
                        ShortVector xb = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                        IntVector h;
                        ByteVector v;
                        h = ByteVector.fromMemorySegment(B16, codes, hp, LE).reinterpretAsInts()
                                .lanewise(VectorOperators.LSHR, shift);
                        v = ByteVector.fromMemorySegment(B16, codes, vp, LE);
                        accA = accA.add(((ShortVector) v.and((byte) 0x0F)
                                        .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                                .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                        h = ByteVector.fromMemorySegment(B16, codes, hp + nB, LE).reinterpretAsInts()
                                .lanewise(VectorOperators.LSHR, shift);
                        v = ByteVector.fromMemorySegment(B16, codes, vp + nB, LE);
                        accB = accB.add(((ShortVector) v.and((byte) 0x0F)
                                        .or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                                .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                        .reinterpretAsBytes().and((byte) 0x0F)
                                        .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10))
                                        .convertShape(VectorOperators.B2S, S, 0)).mul(xb));
                    }
                    if (half == 0) {
                        evenA = accA;
                        evenB = accB;
                    } else {
                        oddA = accA;
                        oddB = accB;
                    }
                }
                // Σ(code − 16)·qx of each half, exact in 16 bits whatever the wrapped sums were
                ShortVector evenOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS);
                ShortVector oddOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS + ROWS);
                int back = 16 * xsums[blk];
                FloatVector d = FloatVector.broadcast(F, dx[blk]);
                long sc = at + j * ROWS;
                ShortVector e;
                ShortVector o;
                e = evenA.sub(evenOffset);
                o = oddA.sub(oddOffset);
                scaledLowA = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledLowA);
                scaledHighA = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledHighA);
                e = evenB.sub(evenOffset);
                o = oddB.sub(oddOffset);
                scaledLowB = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + nB, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledLowB);
                scaledHighB = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) o.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + nB + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledHighB);
            }
            // the mins against dx·Σqx of each sub-block, in the sub-blocks' order
            FloatVector minsLowA = FloatVector.zero(F);
            FloatVector minsHighA = minsLowA;
            FloatVector minsLowB = minsLowA;
            FloatVector minsHighB = minsLowA;
            for (int j = 0; j < SUBS; j++) {
                int blk = sb * SUBS + j;
                FloatVector dsum = FloatVector.broadcast(F, dx[blk] * xsums[blk]);
                long mp = at + MINS + j * ROWS;
                minsLowA = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsLowA);
                minsHighA = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + L, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsHighA);
                minsLowB = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + nB, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsLowB);
                minsHighB = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mp + nB + L, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsHighB);
            }
            int dAt = 2 * sb * ROWS;
            int minAt = (2 * sb + 1) * ROWS;
            lowA = FloatVector.fromArray(F, ds, dA + dAt).fma(scaledLowA, lowA);
            lowA = FloatVector.fromArray(F, ds, dA + minAt).neg().fma(minsLowA, lowA);
            highA = FloatVector.fromArray(F, ds, dA + dAt + L).fma(scaledHighA, highA);
            highA = FloatVector.fromArray(F, ds, dA + minAt + L).neg().fma(minsHighA, highA);
            lowB = FloatVector.fromArray(F, ds, dB + dAt).fma(scaledLowB, lowB);
            lowB = FloatVector.fromArray(F, ds, dB + minAt).neg().fma(minsLowB, lowB);
            highB = FloatVector.fromArray(F, ds, dB + dAt + L).fma(scaledHighB, highB);
            highB = FloatVector.fromArray(F, ds, dB + minAt + L).neg().fma(minsHighB, highB);
        }
        lowA.intoArray(y, yOffset + a * ROWS);
        highA.intoArray(y, yOffset + a * ROWS + L);
        if (storeB) {
            lowB.intoArray(y, yOffset + b * ROWS);
            highB.intoArray(y, yOffset + b * ROWS + L);
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
                i -> groups(m, 0, 4, qx, m.scalesAsFloats(0, 16, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
