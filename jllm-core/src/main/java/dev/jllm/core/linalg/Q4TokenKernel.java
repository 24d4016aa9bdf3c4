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
        fourGroups(m.codes, m.blocks, m.runStep, false, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset);
    }

    /**
     * Groups {@code [g, g + count)} of a Q4_1 copy (the same interleaved codes, unsigned, with a minimum per block)
     * against the quantized token.
     */
    static void groups(InterleavedQ4_1 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m.codes, m.blocks, m.runStep, true, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}), sharing each load of the spread
     * activations; lanes 0–15 of a block's sum hold the even columns of each step's pairs, 16–31 the odd ones, added
     * when widened to 32 bits. With {@code mins} (Q4_1) the codes carry no −8 offset, {@code ds} holds a d and an m
     * set per block, and each block adds m·dx·Σqx. Four groups are four streams of codes, which the hardware
     * prefetchers fetch faster than two (docs/BENCHMARKS.md, session 10). One loop runs over the row's steps and
     * takes the blocks' sums at every fourth, so that C2 checks the segment's bounds once per call. A group past the
     * count reads group g's codes again and keeps no result. Written out in one method: a vector op C2 does not
     * inline is boxed. Shifts are of 32-bit lanes: C2 shifts 16-bit lanes by a count held in a register (two
     * micro-ops and a move each) but 32-bit lanes by an immediate, and the mask drops the bits that cross from the
     * upper half.
     */
    private static void fourGroups(MemorySegment codes, int blocks, int step, boolean mins, int g, int count, short[] spread,
                                   float[] dx, int[] xsums, float[] ds, float[] y, int yOffset) {
        int sets = mins ? 2 : 1;
        int codeOffset = mins ? 0 : 8;
        long next = (long) blocks * GROUP_BLOCK_BYTES;
        long n1 = count > 1 ? step * next : 0;
        long n2 = count > 2 ? 2 * step * next : 0;
        long n3 = count > 3 ? 3 * step * next : 0;
        int scaleStride = sets * blocks * ROWS;
        int d1 = count > 1 ? scaleStride : 0;
        int d2 = count > 2 ? 2 * scaleStride : 0;
        int d3 = count > 3 ? 3 * scaleStride : 0;
        long start = (long) g * blocks * GROUP_BLOCK_BYTES;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        FloatVector total2 = total0;
        FloatVector total3 = total0;
        ShortVector acc0 = ShortVector.zero(S);
        ShortVector acc1 = acc0;
        ShortVector acc2 = acc0;
        ShortVector acc3 = acc0;
        int steps = blocks * InterleavedQ4_0.STEPS;
        for (int s = 0; s < steps; s++) {
            long q = start + (long) s * STEP_BYTES;
            int xs = s * 8 * ROWS;
            ShortVector x0 = ShortVector.fromArray(S, spread, xs);
            ShortVector x1 = ShortVector.fromArray(S, spread, xs + 2 * ROWS);
            ShortVector x2 = ShortVector.fromArray(S, spread, xs + 4 * ROWS);
            ShortVector x3 = ShortVector.fromArray(S, spread, xs + 6 * ROWS);
            IntVector v = ShortVector.fromMemorySegment(S, codes, q, LE).reinterpretAsInts();
            acc0 = acc0.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            v = ShortVector.fromMemorySegment(S, codes, q + n1, LE).reinterpretAsInts();
            acc1 = acc1.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            v = ShortVector.fromMemorySegment(S, codes, q + n2, LE).reinterpretAsInts();
            acc2 = acc2.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            v = ShortVector.fromMemorySegment(S, codes, q + n3, LE).reinterpretAsInts();
            acc3 = acc3.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                            .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            if ((s & (InterleavedQ4_0.STEPS - 1)) == InterleavedQ4_0.STEPS - 1) {
                int b = s / InterleavedQ4_0.STEPS;
                int offset = codeOffset * xsums[b];
                float d = dx[b];
                int at = sets * b * ROWS;
                total0 = ((FloatVector) ((IntVector) acc0.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc0.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, at).mul(d), total0);
                total1 = ((FloatVector) ((IntVector) acc1.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc1.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d1 + at).mul(d), total1);
                total2 = ((FloatVector) ((IntVector) acc2.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc2.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d2 + at).mul(d), total2);
                total3 = ((FloatVector) ((IntVector) acc3.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) acc3.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d3 + at).mul(d), total3);
                if (mins) {
                    FloatVector mx = FloatVector.broadcast(F, d * xsums[b]);
                    total0 = FloatVector.fromArray(F, ds, at + ROWS).fma(mx, total0);
                    total1 = FloatVector.fromArray(F, ds, d1 + at + ROWS).fma(mx, total1);
                    total2 = FloatVector.fromArray(F, ds, d2 + at + ROWS).fma(mx, total2);
                    total3 = FloatVector.fromArray(F, ds, d3 + at + ROWS).fma(mx, total3);
                }
                acc0 = ShortVector.zero(S);
                acc1 = acc0;
                acc2 = acc0;
                acc3 = acc0;
            }
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
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * blocks * GROUP_BLOCK_BYTES, 4 * 2 * blocks * ROWS,
                0xFF);
        InterleavedQ4_1 q41 = new InterleavedQ4_1(4 * ROWS, blocks * BLOCK, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(blocks * BLOCK);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[8 * blocks * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(data[0], blocks, 1, i % 2 == 1, 0, 4, qx.spread, qx.scales, qx.blockSums,
                        q41.scalesAsFloats(0, 8 * blocks, ds), y, 0),
                data[0].byteSize(), 5_000);
    }
}
