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
 * the same integer sums, bit-identical with the scalar twin. A step's 32 bytes of nibbles, and the 32 of fifth bits
 * it shares with three other steps, are each one 32-byte load, rebuilt into 5-bit codes in 256-bit bytes as in
 * {@link Q5TokenKernel256}; bytes 0–15 (the even columns of the 16 rows) and 16–31 (the odd ones) are widened to 16
 * shorts apart. The halves keep separate accumulators, so that a lane sums 16 products per sub-block, as in the
 * 512-bit kernel: an unsigned code·qx sum may wrap in 16 bits, but Σ(code − 16)·qx cannot
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
    /** A super-block's steps of four columns: 64, a power of two. */
    private static final int SUPER_STEPS = InterleavedQ5_K.SUBS * STEPS;
    private static final int SUBS = InterleavedQ5_K.SUBS;
    private static final int MINS = InterleavedQ5_K.MINS;
    private static final int CODES = InterleavedQ5_K.CODES;
    private static final int SUB_BYTES = InterleavedQ5_K.SUB_BYTES;
    private static final int SUPER_BYTES = InterleavedQ5_K.SUPER_BYTES;
    private static final int HIGHS_AT = InterleavedQ5_0.HIGHS_AT;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Each byte's low nibble, and the bit 4 where a code's fifth bit goes. */
    private static final int NIBBLES = 0x0F0F0F0F;
    private static final int FIFTHS = 0x10101010;
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
     * quantized token, sharing each load of the spread activations; b's result is stored when {@code storeB}. One flat
     * loop over the row's steps of four columns, as {@link Q5TokenKernel256}'s: each step's 32 bytes of nibbles, and
     * the 32 of fifth bits it shares with three other steps, are rebuilt in 256-bit bytes for both halves at once
     * (masks, ors, 32-bit shifts), the even columns (bytes 0–15) widened into one accumulator and the odd ones
     * (16–31) into another; every eighth step ends a sub-block, scaled as before, and every 64th a super-block, whose
     * mins are gathered then, in the sub-blocks' order. Two groups, so that C1's profiling tier compiles the method:
     * four groups written out ran out of its virtual registers, and the method never reached C2. Written out in one
     * method: a vector op C2 does not inline is boxed.
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
        FloatVector scaledLowA = lowA;
        FloatVector scaledHighA = lowA;
        FloatVector scaledLowB = lowA;
        FloatVector scaledHighB = lowA;
        ShortVector zero = ShortVector.zero(S);
        ShortVector evenA = zero;
        ShortVector oddA = zero;
        ShortVector evenB = zero;
        ShortVector oddB = zero;
        int steps = supers * SUPER_STEPS;
        for (int t = 0; t < steps; t++) {
            // step t: columns 4t to 4t + 3 of the row, step t % 8 of sub-block t / 8 % 8 of super-block t / 64; the
            // even columns 4t and 4t + 2 in bytes 0–15 of its nibbles and fifth bits, the odd ones in bytes 16–31
            long at = startA + (long) (t >> 6) * SUPER_BYTES;
            long q = at + CODES + ((t >> 3) & (SUBS - 1)) * SUB_BYTES;
            long vp = q + (t & (STEPS - 1)) * 2 * ROWS;
            long hp = q + HIGHS_AT + ((t >> 2) & 1) * 2 * ROWS;
            int shift = 2 * (t & 3);
            int xc = t * 4 * ROWS;
            ShortVector xe0 = ShortVector.fromArray(S, spread, xc);
            ShortVector xo0 = ShortVector.fromArray(S, spread, xc + ROWS);
            ShortVector xe1 = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
            ShortVector xo1 = ShortVector.fromArray(S, spread, xc + 3 * ROWS);
            IntVector h;
            IntVector v;
            ByteVector c;
            h = IntVector.fromMemorySegment(I, codes, hp, LE).lanewise(VectorOperators.LSHR, shift);
            v = IntVector.fromMemorySegment(I, codes, vp, LE);
            c = v.and(NIBBLES).or(h.lanewise(VectorOperators.LSHL, 4).and(FIFTHS)).reinterpretAsBytes();
            evenA = evenA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe0));
            oddA = oddA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo0));
            c = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES)
                    .or(h.lanewise(VectorOperators.LSHL, 3).and(FIFTHS)).reinterpretAsBytes();
            evenA = evenA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe1));
            oddA = oddA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo1));
            h = IntVector.fromMemorySegment(I, codes, hp + nB, LE).lanewise(VectorOperators.LSHR, shift);
            v = IntVector.fromMemorySegment(I, codes, vp + nB, LE);
            c = v.and(NIBBLES).or(h.lanewise(VectorOperators.LSHL, 4).and(FIFTHS)).reinterpretAsBytes();
            evenB = evenB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe0));
            oddB = oddB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo0));
            c = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES)
                    .or(h.lanewise(VectorOperators.LSHL, 3).and(FIFTHS)).reinterpretAsBytes();
            evenB = evenB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe1));
            oddB = oddB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo1));
            if ((t & (STEPS - 1)) == STEPS - 1) {
                // the end of sub-block t / 8: Σ(code − 16)·qx of each half, exact in 16 bits whatever the wrapped
                // sums were, the two added in 32 bits with 16·Σqx back
                int blk = t >> 3;
                ShortVector evenOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS);
                ShortVector oddOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS + ROWS);
                int back = 16 * xsums[blk];
                FloatVector d = FloatVector.broadcast(F, dx[blk]);
                long sc = at + (blk & (SUBS - 1)) * ROWS;
                ShortVector e = evenA.sub(evenOffset);
                ShortVector o = oddA.sub(oddOffset);
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
                evenA = zero;
                oddA = zero;
                evenB = zero;
                oddB = zero;
                if ((t & (SUPER_STEPS - 1)) == SUPER_STEPS - 1) {
                    // the end of super-block t / 64: the mins against dx·Σqx of each sub-block, in their order
                    int sb = t >> 6;
                    FloatVector minsLowA = FloatVector.zero(F);
                    FloatVector minsHighA = minsLowA;
                    FloatVector minsLowB = minsLowA;
                    FloatVector minsHighB = minsLowA;
                    for (int j = 0; j < SUBS; j++) {
                        int bj = sb * SUBS + j;
                        FloatVector dsum = FloatVector.broadcast(F, dx[bj] * xsums[bj]);
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
                    scaledLowA = FloatVector.zero(F);
                    scaledHighA = scaledLowA;
                    scaledLowB = scaledLowA;
                    scaledHighB = scaledLowA;
                }
            }
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
