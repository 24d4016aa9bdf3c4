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
 * One token against an {@link InterleavedQ4_0} copy through integers, as llama.cpp's Q4_0 dot does. Each 32-byte load
 * holds four columns of 16 rows; a mask and a 16-bit shift unpack two pairs of columns, each widened to one 32-lane
 * short vector and multiplied by the matching activations. Codes are below 16, so |code·qx| ≤ 15·127 and a block's
 * 16 products per lane add up in 16 bits without overflow: the whole block is two widenings, two multiplies and two
 * adds per four columns, and the −8 offset of every code comes off once per block as 8·Σ qx. Q4_1 copies run the same
 * steps ({@link InterleavedQ4_1}: unsigned codes, and a minimum per block against x's block sum).
 */
final class Q4TokenKernel {
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

    private Q4TokenKernel() {
    }

    /** Groups {@code [g, g + count)} of m against the quantized token ({@link InterleavedMatrix#groups}). */
    static void groups(InterleavedQ4_0 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        twoGroups(m.codes, m.blocks, false, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset);
    }

    /**
     * Groups {@code [g, g + count)} of a Q4_1 copy (the same interleaved codes, unsigned, with a minimum per block)
     * against the quantized token.
     */
    static void groups(InterleavedQ4_1 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        twoGroups(m.codes, m.blocks, true, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset);
    }


    /**
     * Groups g and g + 1 (g alone when count is 1), sharing each load of the spread activations; lanes 0–15 of a
     * block's sum hold the even columns of each step's pairs, 16–31 the odd ones, added when widened to 32 bits.
     * With {@code mins} (Q4_1) the codes carry no −8 offset, {@code ds} holds a d and an m set per block, and each
     * block adds m·dx·Σqx. Written out in one method: C2 stops inlining the Vector API into a method this large, and
     * a vector op it does not inline is boxed.
     */
    private static void twoGroups(MemorySegment codes, int blocks, boolean mins, int g, int count, short[] spread,
                                  float[] dx, int[] xsums, float[] ds, float[] y, int yOffset) {
        int sets = mins ? 2 : 1;
        int codeOffset = mins ? 0 : 8;
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
            int offset = codeOffset * xsums[b];
            IntVector rows0 = ((IntVector) acc0.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) acc0.convertShape(VectorOperators.S2I, I, 1)).sub(offset);
            IntVector rows1 = ((IntVector) acc1.convertShape(VectorOperators.S2I, I, 0))
                    .add((IntVector) acc1.convertShape(VectorOperators.S2I, I, 1)).sub(offset);
            float d = dx[b];
            int first = sets * b * ROWS;
            int second = sets * ((count - 1) * blocks + b) * ROWS;
            total0 = ((FloatVector) rows0.convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.fromArray(F, ds, first).mul(d), total0);
            total1 = ((FloatVector) rows1.convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.fromArray(F, ds, second).mul(d), total1);
            if (mins) {
                FloatVector mx = FloatVector.broadcast(F, d * xsums[b]);
                total0 = FloatVector.fromArray(F, ds, first + ROWS).fma(mx, total0);
                total1 = FloatVector.fromArray(F, ds, second + ROWS).fma(mx, total1);
            }
        }
        total0.intoArray(y, yOffset + g * ROWS);
        if (count == 2) {
            total1.intoArray(y, yOffset + (g + 1) * ROWS);
        }
    }

    /**
     * Compiles the kernel on its own before any product runs, once per JVM (see {@link InterleavedMatrix#warmUp}),
     * with Q4_0's and Q4_1's blocks in turn, so that neither type's path is left out of the compiled code.
     */
    static synchronized void warmUp() {
        if (warm) {
            return;
        }
        warm = true;
        MemorySegment[] data = InterleavedMatrix.warmUpData(2L * GROUP_BLOCK_BYTES, 2 * 2 * ROWS, 0xFF);
        InterleavedQ4_1 q41 = new InterleavedQ4_1(2 * ROWS, BLOCK, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(BLOCK);
        float[] y = new float[2 * ROWS];
        float[] ds = q41.scalesAsFloats(0, 4, new float[4 * ROWS]);
        for (int i = 0; i < 20_000; i++) {
            twoGroups(data[0], 1, i % 2 == 1, 0, 2, qx.spread, qx.scales, qx.blockSums, ds, y, 0);
        }
    }
}
