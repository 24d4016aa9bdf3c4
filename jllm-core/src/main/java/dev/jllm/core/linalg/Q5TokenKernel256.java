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
 * {@link Q5TokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same interleaved copies and the
 * same integer sums, bit-identical with the scalar twin. A step's 32 bytes of nibbles, and the 32 of fifth bits it
 * shares with three other steps, are each one 32-byte load, rebuilt into 5-bit codes in 256-bit bytes; bytes 0–15
 * (the even columns of the 16 rows, 4s and 4s + 2) and 16–31 (the odd ones) are widened to 16 shorts apart. The
 * even and odd columns keep one 16-lane accumulator each, as the 512-bit kernel's two halves of 16 lanes do, so that
 * a lane adds 16 products per block, not 32: the raw sums of code·qx (codes 0–31) may wrap in 16 bits, but
 * Σ(code − 16)·qx over 16 columns stays within 16·16·127 &lt; 2¹⁵, so taking off 16 times the even or the odd
 * columns' Σqx ({@link SpreadToken#fiveBitOffsets}) in 16 bits leaves it exact (modulo 2¹⁶, and it fits); one
 * accumulator for all 32 columns could reach 32·16·127 = 65024 and would not be. The two exact sums add up in 32
 * bits, where Q5_1 adds the 16·Σqx back.
 *
 * <p>A run's groups go two at a time: four written out made a method too big for C1's profiling tier ("out of
 * virtual registers"), which then never reached C2 and ran every vector op boxed.
 */
final class Q5TokenKernel256 {
    private static final int ROWS = InterleavedQ5_0.ROWS;
    private static final int BLOCK = 32;
    private static final int STEPS = BLOCK / 4;
    private static final int HIGHS_AT = InterleavedQ5_0.HIGHS_AT;
    private static final int GROUP_BLOCK_BYTES = InterleavedQ5_0.GROUP_BLOCK_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Each byte's low nibble, and the bit 4 where a code's fifth bit goes. */
    private static final int NIBBLES = 0x0F0F0F0F;
    private static final int FIFTHS = 0x10101010;
    private static boolean warm;

    private Q5TokenKernel256() {
    }

    /** Groups g, g + step, … of m against the quantized token ({@link InterleavedMatrix#groups}). */
    static void groups(InterleavedQ5_0 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        groups(m.codes, m.blocks, m.runStep, false, g, count, qx, ds, y, yOffset);
    }

    /** Groups g, g + step, … of a Q5_1 copy against the quantized token. */
    static void groups(InterleavedQ5_1 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        groups(m.codes, m.blocks, m.runStep, true, g, count, qx, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), two at a time; a lone last group
     * runs paired with itself and keeps one result.
     */
    private static void groups(MemorySegment codes, int blocks, int step, boolean mins, int g, int count,
                               SpreadToken qx, float[] ds, float[] y, int yOffset) {
        for (int k = 0; k < count; k += 2) {
            int other = k + 1 < count ? k + 1 : k;
            if (mins) {
                twoGroupsWithMins(codes, blocks, g + k * step, g + other * step, k, other, qx, ds, y, yOffset,
                        other != k);
            } else {
                twoGroups(codes, blocks, g + k * step, g + other * step, k, other, qx, ds, y, yOffset, other != k);
            }
        }
    }

    /**
     * Groups a and b (the run's k-th and l-th, whose scales sit at k and l times a group's scale sets in ds), sharing
     * each load of the spread activations; b's result is stored when {@code storeB}. One flat loop over the row's
     * steps of four columns, as {@link Q4TokenKernel256}'s: each step's 32 bytes of nibbles, and the 32 of fifth bits
     * it shares with three other steps, are rebuilt in 256-bit bytes for both halves at once (masks, ors, 32-bit
     * shifts), the even columns (bytes 0–15) widened into one accumulator and the odd ones (16–31) into another;
     * every eighth step ends a block. Q5_0's; Q5_1 has a method of its own ({@link #twoGroupsWithMins}), so that each
     * scale index has a constant stride: with one method for both and the stride a variable, C2's compiled code hit
     * a "range_check" uncommon trap in every decode of Qwen2.5-0.5B Q4_K_M (mostly Q5_0) and was recompiled. Two
     * groups, so that C1's profiling tier compiles the method: four groups written out ran out of its virtual
     * registers, and the method never reached C2. Written out in one method: a vector op C2 does not inline is boxed.
     */
    private static void twoGroups(MemorySegment codes, int blocks, int a, int b, int k, int l,
                                  SpreadToken qx, float[] ds, float[] y, int yOffset, boolean storeB) {
        int[] xsums = qx.blockSums;
        short[] spread = qx.spread;
        float[] dx = qx.scales;
        short[] offsets = qx.fiveBitOffsets;
        long startA = (long) a * blocks * GROUP_BLOCK_BYTES;
        long nB = ((long) b - a) * blocks * GROUP_BLOCK_BYTES;
        int scaleStride = blocks * ROWS;
        int dA = k * scaleStride;
        int dB = l * scaleStride;
        FloatVector lowA = FloatVector.zero(F);
        FloatVector highA = lowA;
        FloatVector lowB = lowA;
        FloatVector highB = lowA;
        ShortVector zero = ShortVector.zero(S);
        ShortVector evenA = zero;
        ShortVector oddA = zero;
        ShortVector evenB = zero;
        ShortVector oddB = zero;
        int steps = blocks * STEPS;
        for (int t = 0; t < steps; t++) {
            // step t: columns 4t to 4t + 3 of the row, step t % 8 of block t / 8; the even columns 4t and 4t + 2 in
            // bytes 0–15 of its nibbles and fifth bits, the odd ones 4t + 1 and 4t + 3 in bytes 16–31
            long q = startA + (long) (t >> 3) * GROUP_BLOCK_BYTES;
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
                // the end of block t / 8: 16·Σqx of its even columns, then of its odd ones, 16 lanes each
                int blk = t >> 3;
                ShortVector evenOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS);
                ShortVector oddOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS + ROWS);
                float d = dx[blk];
                int at = blk * ROWS;
                // Σ(code − 16)·qx of the even and of the odd columns, each exact in 16 bits, added in 32
                ShortVector e = evenA.sub(evenOffset);
                ShortVector f = oddA.sub(oddOffset);
                lowA = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 0))
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at).mul(d), lowA);
                highA = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 1))
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at + L).mul(d), highA);
                e = evenB.sub(evenOffset);
                f = oddB.sub(oddOffset);
                lowB = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 0))
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at).mul(d), lowB);
                highB = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 1))
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at + L).mul(d), highB);
                evenA = zero;
                oddA = zero;
                evenB = zero;
                oddB = zero;
            }
        }
        lowA.intoArray(y, yOffset + a * ROWS);
        highA.intoArray(y, yOffset + a * ROWS + L);
        if (storeB) {
            lowB.intoArray(y, yOffset + b * ROWS);
            highB.intoArray(y, yOffset + b * ROWS + L);
        }
    }

    /**
     * {@link #twoGroups} for Q5_1: a d and an m set per block in ds, the 16·Σqx added back in 32 bits, and each block
     * adding m·dx·Σqx.
     */
    private static void twoGroupsWithMins(MemorySegment codes, int blocks, int a, int b, int k, int l,
                                  SpreadToken qx, float[] ds, float[] y, int yOffset, boolean storeB) {
        int sets = 2;
        int[] xsums = qx.blockSums;
        short[] spread = qx.spread;
        float[] dx = qx.scales;
        short[] offsets = qx.fiveBitOffsets;
        long startA = (long) a * blocks * GROUP_BLOCK_BYTES;
        long nB = ((long) b - a) * blocks * GROUP_BLOCK_BYTES;
        int scaleStride = sets * blocks * ROWS;
        int dA = k * scaleStride;
        int dB = l * scaleStride;
        FloatVector lowA = FloatVector.zero(F);
        FloatVector highA = lowA;
        FloatVector lowB = lowA;
        FloatVector highB = lowA;
        ShortVector zero = ShortVector.zero(S);
        ShortVector evenA = zero;
        ShortVector oddA = zero;
        ShortVector evenB = zero;
        ShortVector oddB = zero;
        int steps = blocks * STEPS;
        for (int t = 0; t < steps; t++) {
            // step t: columns 4t to 4t + 3 of the row, step t % 8 of block t / 8; the even columns 4t and 4t + 2 in
            // bytes 0–15 of its nibbles and fifth bits, the odd ones 4t + 1 and 4t + 3 in bytes 16–31
            long q = startA + (long) (t >> 3) * GROUP_BLOCK_BYTES;
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
                // the end of block t / 8: 16·Σqx of its even columns, then of its odd ones, 16 lanes each
                int blk = t >> 3;
                ShortVector evenOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS);
                ShortVector oddOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS + ROWS);
                int back = 16 * xsums[blk];
                float d = dx[blk];
                int at = sets * blk * ROWS;
                // Σ(code − 16)·qx of the even and of the odd columns, each exact in 16 bits, added in 32
                ShortVector e = evenA.sub(evenOffset);
                ShortVector f = oddA.sub(oddOffset);
                lowA = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at).mul(d), lowA);
                highA = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at + L).mul(d), highA);
                e = evenB.sub(evenOffset);
                f = oddB.sub(oddOffset);
                lowB = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at).mul(d), lowB);
                highB = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at + L).mul(d), highB);
                FloatVector mx = FloatVector.broadcast(F, d * xsums[blk]);
                lowA = FloatVector.fromArray(F, ds, dA + at + ROWS).fma(mx, lowA);
                highA = FloatVector.fromArray(F, ds, dA + at + ROWS + L).fma(mx, highA);
                lowB = FloatVector.fromArray(F, ds, dB + at + ROWS).fma(mx, lowB);
                highB = FloatVector.fromArray(F, ds, dB + at + ROWS + L).fma(mx, highB);
                evenA = zero;
                oddA = zero;
                evenB = zero;
                oddB = zero;
            }
        }
        lowA.intoArray(y, yOffset + a * ROWS);
        highA.intoArray(y, yOffset + a * ROWS + L);
        if (storeB) {
            lowB.intoArray(y, yOffset + b * ROWS);
            highB.intoArray(y, yOffset + b * ROWS + L);
        }
    }

    /** Compiles the kernel on its own before any product runs, once per JVM, with Q5_0's and Q5_1's blocks in turn. */
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
                i -> groups(data[0], 4, 1, i % 2 == 1, 0, 4, qx, m.scalesAsFloats(0, 32, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
