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
 * shares with three other steps, are read as 16-byte halves: the even columns of the 16 rows (4s, 4s + 2), then the
 * odd ones (4s + 1, 4s + 3), each rebuilt into 5-bit codes as the 512-bit kernel does and widened to 16 shorts. The
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
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
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
            twoGroups(codes, blocks, mins, g + k * step, g + other * step, k, other, qx, ds, y, yOffset, other != k);
        }
    }

    /**
     * Groups a and b (the run's k-th and l-th, whose scales sit at k and l times a group's scale sets in ds), sharing
     * each load of the spread activations; b's result is stored when {@code storeB}. A block's even columns, step by
     * step, then its odd ones, in one loop over the two halves: two activation vectors and two accumulators are live
     * at a time beside the even halves' sums. With {@code mins} (Q5_1), {@code ds} holds a d and an m set per block,
     * the 16·Σqx is added back in 32 bits and each block adds m·dx·Σqx. Two groups, and the halves in a loop, so
     * that C1's profiling tier compiles the method: four groups written out ran out of its virtual registers, and the
     * method never reached C2. Written out in one method: a vector op C2 does not inline is boxed.
     */
    private static void twoGroups(MemorySegment codes, int blocks, boolean mins, int a, int b, int k, int l,
                                  SpreadToken qx, float[] ds, float[] y, int yOffset, boolean storeB) {
        int sets = mins ? 2 : 1;
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
        for (int blk = 0; blk < blocks; blk++) {
            long q = startA + (long) blk * GROUP_BLOCK_BYTES;
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
            // 16·Σqx of the block's even columns, then of its odd ones, 16 lanes each
            ShortVector evenOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS);
            ShortVector oddOffset = ShortVector.fromArray(S, offsets, blk * 2 * ROWS + ROWS);
            int back = mins ? 16 * xsums[blk] : 0;
            float d = dx[blk];
            int at = sets * blk * ROWS;
            // Σ(code − 16)·qx of the even and of the odd columns, each exact in 16 bits, added in 32
            evenA = evenA.sub(evenOffset);
            oddA = oddA.sub(oddOffset);
            evenB = evenB.sub(evenOffset);
            oddB = oddB.sub(oddOffset);
            lowA = ((FloatVector) ((IntVector) evenA.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) oddA.convertShape(VectorOperators.S2I, I, 0)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at).mul(d), lowA);
            highA = ((FloatVector) ((IntVector) evenA.convertShape(VectorOperators.S2I, I, 1))
                    .add((IntVector) oddA.convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at + L).mul(d), highA);
            lowB = ((FloatVector) ((IntVector) evenB.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) oddB.convertShape(VectorOperators.S2I, I, 0)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at).mul(d), lowB);
            highB = ((FloatVector) ((IntVector) evenB.convertShape(VectorOperators.S2I, I, 1))
                    .add((IntVector) oddB.convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at + L).mul(d), highB);
            if (mins) {
                FloatVector mx = FloatVector.broadcast(F, d * xsums[blk]);
                lowA = FloatVector.fromArray(F, ds, dA + at + ROWS).fma(mx, lowA);
                highA = FloatVector.fromArray(F, ds, dA + at + ROWS + L).fma(mx, highA);
                lowB = FloatVector.fromArray(F, ds, dB + at + ROWS).fma(mx, lowB);
                highB = FloatVector.fromArray(F, ds, dB + at + ROWS + L).fma(mx, highB);
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
