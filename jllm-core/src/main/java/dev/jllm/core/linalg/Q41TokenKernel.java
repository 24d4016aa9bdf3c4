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
 * One token against an {@link InterleavedQ4_1} copy through integers: {@link Q4TokenKernel}'s steps on the same
 * interleaved codes, without the −8 offset (Q4_1's codes are unsigned), and per block d·dx times the integer sum
 * plus m times dx·Σqx, the block's minimum against x's block sum.
 */
final class Q41TokenKernel {
    private static final int ROWS = InterleavedQ4_0.ROWS;
    private static final int BLOCK = 32;
    private static final int STEPS = BLOCK / 4;
    private static final int GROUP_BLOCK_BYTES = InterleavedQ4_0.GROUP_BLOCK_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static boolean warm;

    private Q41TokenKernel() {
    }

    /** Groups {@code [g, g + count)} of m against the quantized token ({@link InterleavedMatrix#groups}). */
    static void groups(InterleavedQ4_1 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        twoGroups(m, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset);
    }


    /**
     * Groups g and g + 1 (g alone when count is 1), sharing each load of the spread activations; lanes 0–15 of a
     * block's sum hold the even columns of each step's pairs, 16–31 the odd ones, added when widened to 32 bits.
     * Written out in one method: C2 stops inlining the Vector API into a method this large, and a vector op it does
     * not inline is boxed.
     */
    private static void twoGroups(InterleavedQ4_1 m, int g, int count, short[] spread, float[] dx, int[] xsums,
                                  float[] ds, float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        int blocks = m.blocks;
        // a lone last group (count 1) reads its own codes twice and keeps one result
        long next = count == 2 ? (long) blocks * GROUP_BLOCK_BYTES : 0;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        for (int b = 0; b < blocks; b++) {
            long q = (long) (g * blocks + b) * GROUP_BLOCK_BYTES;
            int xs = b * BLOCK * ROWS;
            ShortVector acc0 = ShortVector.zero(S);
            ShortVector acc1 = acc0;
            for (int s = 0; s < STEPS; s++) {
                int xc = xs + s * 4 * ROWS;
                ShortVector xa = ShortVector.fromArray(S, spread, xc);
                ShortVector xb = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
                ByteVector v = ByteVector.fromMemorySegment(B32, codes, q + s * 2 * ROWS, LE);
                ByteVector u = ByteVector.fromMemorySegment(B32, codes, q + next + s * 2 * ROWS, LE);
                acc0 = acc0.add(((ShortVector) v.and((byte) 0x0F).convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                        .add(((ShortVector) v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4)
                                .reinterpretAsBytes().and((byte) 0x0F).convertShape(VectorOperators.B2S, S, 0))
                                .mul(xb));
                acc1 = acc1.add(((ShortVector) u.and((byte) 0x0F).convertShape(VectorOperators.B2S, S, 0)).mul(xa))
                        .add(((ShortVector) u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4)
                                .reinterpretAsBytes().and((byte) 0x0F).convertShape(VectorOperators.B2S, S, 0))
                                .mul(xb));
            }
            IntVector rows0 = ((IntVector) acc0.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) acc0.convertShape(VectorOperators.S2I, I, 1));
            IntVector rows1 = ((IntVector) acc1.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) acc1.convertShape(VectorOperators.S2I, I, 1));
            float d = dx[b];
            float mx = d * xsums[b];
            int first = 2 * b * ROWS;
            int second = (2 * (count - 1) * blocks + 2 * b) * ROWS;
            total0 = ((FloatVector) rows0.convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.fromArray(F, ds, first).mul(d), total0);
            total0 = FloatVector.fromArray(F, ds, first + ROWS).fma(FloatVector.broadcast(F, mx), total0);
            total1 = ((FloatVector) rows1.convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.fromArray(F, ds, second).mul(d), total1);
            total1 = FloatVector.fromArray(F, ds, second + ROWS).fma(FloatVector.broadcast(F, mx), total1);
        }
        total0.intoArray(y, yOffset + g * ROWS);
        if (count == 2) {
            total1.intoArray(y, yOffset + (g + 1) * ROWS);
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
        MemorySegment[] data = InterleavedMatrix.warmUpData(2L * GROUP_BLOCK_BYTES, 2 * 2 * ROWS, 0xFF);
        InterleavedQ4_1 m = new InterleavedQ4_1(2 * ROWS, BLOCK, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(BLOCK);
        float[] y = new float[2 * ROWS];
        float[] ds = m.scalesAsFloats(0, 4, new float[4 * ROWS]);
        for (int i = 0; i < 5_000; i++) {
            twoGroups(m, 0, 2, qx.spread, qx.scales, qx.blockSums, ds, y, 0);
        }
    }
}
