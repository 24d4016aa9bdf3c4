package dev.jllm.core.linalg;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One token against an {@link InterleavedQ4_0} copy through integers, as llama.cpp's Q4_0 dot does. Each 64-byte
 * load holds eight columns of 16 rows as 32 shorts of four codes each; three shifts and four masks of 32-bit lanes
 * give four pairs of columns, each multiplied by the matching activations in 16-bit lanes. Codes are below 16, so
 * |code·qx| ≤ 15·127 and a block's 16 products per lane add up in 16 bits without overflow: per eight columns the
 * whole block costs three shifts, four masks, four multiplies and four adds, and the −8 offset of every code comes
 * off once per block as 8·Σ qx. Q4_1 copies run the same steps ({@link InterleavedQ4_1}: unsigned codes, and a
 * minimum per block against x's block sum).
 */
final class Q4TokenKernel {
    private static final int ROWS = InterleavedQ4_0.ROWS;
    private static final int BLOCK = 32;
    private static final int STEP_BYTES = InterleavedQ4_0.STEP_BYTES;
    private static final int GROUP_BLOCK_BYTES = InterleavedQ4_0.GROUP_BLOCK_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int NIBBLE = InterleavedQ4_0.NIBBLES;
    private static final int WARM_UP_BLOCKS = 4;
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
     * a vector op it does not inline is boxed. The four steps of a block are written out too, so that the block loop
     * is the innermost one and C2 checks the segment's bounds once per call rather than once per step. Shifts are of
     * 32-bit lanes: C2 shifts 16-bit lanes by a count held in a register (two micro-ops and a move each) but 32-bit
     * lanes by an immediate, and the mask drops the bits that cross from the upper half.
     */
    private static void twoGroups(MemorySegment codes, int blocks, boolean mins, int g, int count, short[] spread,
                                  float[] dx, int[] xsums, float[] ds, float[] y, int yOffset) {
        int sets = mins ? 2 : 1;
        int codeOffset = mins ? 0 : 8;
        // a lone last group (count 1) reads its own codes twice and keeps one result
        long next = count == 2 ? (long) blocks * GROUP_BLOCK_BYTES : 0;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        long start = (long) g * blocks * GROUP_BLOCK_BYTES;
        for (int b = 0; b < blocks; b++) {
            long q = start + (long) b * GROUP_BLOCK_BYTES;
            int xs = b * BLOCK * ROWS;
            ShortVector acc0 = ShortVector.zero(S);
            ShortVector acc1 = acc0;
            ShortVector x0;
            ShortVector x1;
            ShortVector x2;
            ShortVector x3;
            IntVector v;
            IntVector u;
            // step 0: columns 0–7
            x0 = ShortVector.fromArray(S, spread, xs + 0 * ROWS);
            x1 = ShortVector.fromArray(S, spread, xs + 2 * ROWS);
            x2 = ShortVector.fromArray(S, spread, xs + 4 * ROWS);
            x3 = ShortVector.fromArray(S, spread, xs + 6 * ROWS);
            v = ShortVector.fromMemorySegment(S, codes, q + 0 * STEP_BYTES, LE).reinterpretAsInts();
            u = ShortVector.fromMemorySegment(S, codes, q + next + 0 * STEP_BYTES, LE).reinterpretAsInts();
            acc0 = acc0.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            acc1 = acc1.add(u.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(u.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(u.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(u.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            // step 1: columns 8–15
            x0 = ShortVector.fromArray(S, spread, xs + 8 * ROWS);
            x1 = ShortVector.fromArray(S, spread, xs + 10 * ROWS);
            x2 = ShortVector.fromArray(S, spread, xs + 12 * ROWS);
            x3 = ShortVector.fromArray(S, spread, xs + 14 * ROWS);
            v = ShortVector.fromMemorySegment(S, codes, q + 1 * STEP_BYTES, LE).reinterpretAsInts();
            u = ShortVector.fromMemorySegment(S, codes, q + next + 1 * STEP_BYTES, LE).reinterpretAsInts();
            acc0 = acc0.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            acc1 = acc1.add(u.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(u.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(u.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(u.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            // step 2: columns 16–23
            x0 = ShortVector.fromArray(S, spread, xs + 16 * ROWS);
            x1 = ShortVector.fromArray(S, spread, xs + 18 * ROWS);
            x2 = ShortVector.fromArray(S, spread, xs + 20 * ROWS);
            x3 = ShortVector.fromArray(S, spread, xs + 22 * ROWS);
            v = ShortVector.fromMemorySegment(S, codes, q + 2 * STEP_BYTES, LE).reinterpretAsInts();
            u = ShortVector.fromMemorySegment(S, codes, q + next + 2 * STEP_BYTES, LE).reinterpretAsInts();
            acc0 = acc0.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            acc1 = acc1.add(u.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(u.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(u.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(u.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            // step 3: columns 24–31
            x0 = ShortVector.fromArray(S, spread, xs + 24 * ROWS);
            x1 = ShortVector.fromArray(S, spread, xs + 26 * ROWS);
            x2 = ShortVector.fromArray(S, spread, xs + 28 * ROWS);
            x3 = ShortVector.fromArray(S, spread, xs + 30 * ROWS);
            v = ShortVector.fromMemorySegment(S, codes, q + 3 * STEP_BYTES, LE).reinterpretAsInts();
            u = ShortVector.fromMemorySegment(S, codes, q + next + 3 * STEP_BYTES, LE).reinterpretAsInts();
            acc0 = acc0.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            acc1 = acc1.add(u.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(u.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(u.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(u.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
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
        // several blocks per call: the block loop's back edges bring C2's compile on while the warm-up still runs
        int blocks = WARM_UP_BLOCKS;
        MemorySegment[] data = InterleavedMatrix.warmUpData(2L * blocks * GROUP_BLOCK_BYTES, 2 * 2 * blocks * ROWS,
                0xFF);
        InterleavedQ4_1 q41 = new InterleavedQ4_1(2 * ROWS, blocks * BLOCK, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(blocks * BLOCK);
        float[] y = new float[2 * ROWS];
        float[] ds = new float[4 * blocks * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> twoGroups(data[0], blocks, i % 2 == 1, 0, 2, qx.spread, qx.scales, qx.blockSums,
                        q41.scalesAsFloats(0, 4 * blocks, ds), y, 0),
                data[0].byteSize(), 5_000);
    }
}
