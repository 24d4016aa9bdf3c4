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
        fourGroups(m.codes, m.blocks, m.runStep, false, g, count, qx, ds, y, yOffset);
    }

    /** Groups g, g + step, … of a Q5_1 copy against the quantized token. */
    static void groups(InterleavedQ5_1 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m.codes, m.blocks, m.runStep, true, g, count, qx, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), sharing each load of the spread
     * activations: per step, the even columns of every group, then the odd ones, so that two activation vectors are
     * live at a time beside the eight accumulators. A group past the count reads group g's codes again and keeps no
     * result. With {@code mins} (Q5_1), {@code ds} holds a d and an m set per block, the 16·Σqx is added back in 32
     * bits and each block adds m·dx·Σqx. Written out in one method: a vector op C2 does not inline is boxed.
     */
    private static void fourGroups(MemorySegment codes, int blocks, int step, boolean mins, int g, int count,
                                   SpreadToken qx, float[] ds, float[] y, int yOffset) {
        int sets = mins ? 2 : 1;
        int[] xsums = qx.blockSums;
        short[] spread = qx.spread;
        float[] dx = qx.scales;
        short[] offsets = qx.fiveBitOffsets;
        long next = (long) blocks * GROUP_BLOCK_BYTES;
        long n1 = count > 1 ? step * next : 0;
        long n2 = count > 2 ? 2 * step * next : 0;
        long n3 = count > 3 ? 3 * step * next : 0;
        int scaleStride = sets * blocks * ROWS;
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
        for (int b = 0; b < blocks; b++) {
            long q = (long) (g * blocks + b) * GROUP_BLOCK_BYTES;
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
                // even columns 4s and 4s + 2: the first 16 bytes of the step's nibbles and of its fifth bits
                ShortVector xa = ShortVector.fromArray(S, spread, xc);
                ShortVector xb = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                IntVector h;
                ByteVector v;
                h = ByteVector.fromMemorySegment(B16, codes, hp, LE).reinterpretAsInts()
                        .lanewise(VectorOperators.LSHR, shift);
                v = ByteVector.fromMemorySegment(B16, codes, vp, LE);
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
                // odd columns 4s + 1 and 4s + 3: the last 16 bytes of each
                xa = ShortVector.fromArray(S, spread, xc + ROWS);
                xb = ShortVector.fromArray(S, spread, xc + 3 * ROWS);
                h = ByteVector.fromMemorySegment(B16, codes, hp + ROWS, LE).reinterpretAsInts()
                        .lanewise(VectorOperators.LSHR, shift);
                v = ByteVector.fromMemorySegment(B16, codes, vp + ROWS, LE);
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
            // 16·Σqx of the block's even columns, then of its odd ones, 16 lanes each
            ShortVector evenOffset = ShortVector.fromArray(S, offsets, b * 2 * ROWS);
            ShortVector oddOffset = ShortVector.fromArray(S, offsets, b * 2 * ROWS + ROWS);
            int back = mins ? 16 * xsums[b] : 0;
            float d = dx[b];
            int at = sets * b * ROWS;
            // Σ(code − 16)·qx of the even and of the odd columns, each exact in 16 bits, added in 32
            even0 = even0.sub(evenOffset);
            odd0 = odd0.sub(oddOffset);
            even1 = even1.sub(evenOffset);
            odd1 = odd1.sub(oddOffset);
            even2 = even2.sub(evenOffset);
            odd2 = odd2.sub(oddOffset);
            even3 = even3.sub(evenOffset);
            odd3 = odd3.sub(oddOffset);
            low0 = ((FloatVector) ((IntVector) even0.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) odd0.convertShape(VectorOperators.S2I, I, 0)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, at).mul(d), low0);
            high0 = ((FloatVector) ((IntVector) even0.convertShape(VectorOperators.S2I, I, 1))
                    .add((IntVector) odd0.convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, at + L).mul(d), high0);
            low1 = ((FloatVector) ((IntVector) even1.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) odd1.convertShape(VectorOperators.S2I, I, 0)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d1 + at).mul(d), low1);
            high1 = ((FloatVector) ((IntVector) even1.convertShape(VectorOperators.S2I, I, 1))
                    .add((IntVector) odd1.convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d1 + at + L).mul(d), high1);
            low2 = ((FloatVector) ((IntVector) even2.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) odd2.convertShape(VectorOperators.S2I, I, 0)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d2 + at).mul(d), low2);
            high2 = ((FloatVector) ((IntVector) even2.convertShape(VectorOperators.S2I, I, 1))
                    .add((IntVector) odd2.convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d2 + at + L).mul(d), high2);
            low3 = ((FloatVector) ((IntVector) even3.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) odd3.convertShape(VectorOperators.S2I, I, 0)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d3 + at).mul(d), low3);
            high3 = ((FloatVector) ((IntVector) even3.convertShape(VectorOperators.S2I, I, 1))
                    .add((IntVector) odd3.convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d3 + at + L).mul(d), high3);
            if (mins) {
                FloatVector mx = FloatVector.broadcast(F, d * xsums[b]);
                low0 = FloatVector.fromArray(F, ds, at + ROWS).fma(mx, low0);
                high0 = FloatVector.fromArray(F, ds, at + ROWS + L).fma(mx, high0);
                low1 = FloatVector.fromArray(F, ds, d1 + at + ROWS).fma(mx, low1);
                high1 = FloatVector.fromArray(F, ds, d1 + at + ROWS + L).fma(mx, high1);
                low2 = FloatVector.fromArray(F, ds, d2 + at + ROWS).fma(mx, low2);
                high2 = FloatVector.fromArray(F, ds, d2 + at + ROWS + L).fma(mx, high2);
                low3 = FloatVector.fromArray(F, ds, d3 + at + ROWS).fma(mx, low3);
                high3 = FloatVector.fromArray(F, ds, d3 + at + ROWS + L).fma(mx, high3);
            }
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
                i -> fourGroups(data[0], 4, 1, i % 2 == 1, 0, 4, qx, m.scalesAsFloats(0, 32, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
