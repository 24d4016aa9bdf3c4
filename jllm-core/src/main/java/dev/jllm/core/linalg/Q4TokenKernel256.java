package dev.jllm.core.linalg;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Q4TokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same interleaved copies and
 * the same integer sums, bit-identical with the scalar twin. Each 64-byte step is two loads: the even columns of the
 * 16 rows, then the odd ones, 16 shorts each, so that one 16-lane short accumulator per group holds both and adds 32
 * products per block. Those may pass 2¹⁵ for codes 0..15, but Σ(code − 8)·qx cannot (32·8·127 < 2¹⁵): the sum
 * wraps in 16 bits, 8·Σqx comes off in 16 bits, and what is left is exact; Q4_1 adds the 8·Σqx back in 32 bits.
 */
final class Q4TokenKernel256 {
    private static final int ROWS = InterleavedQ4_0.ROWS;
    private static final int BLOCK = 32;
    private static final int STEP_BYTES = InterleavedQ4_0.STEP_BYTES;
    private static final int HALF_STEP = STEP_BYTES / 2;
    private static final int GROUP_BLOCK_BYTES = InterleavedQ4_0.GROUP_BLOCK_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int NIBBLE = InterleavedQ4_0.NIBBLES;
    private static final int WARM_UP_BLOCKS = 4;
    private static boolean warm;

    private Q4TokenKernel256() {
    }

    /** Groups g, g + step, … of m against the quantized token ({@link InterleavedMatrix#groups}). */
    static void groups(InterleavedQ4_0 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        groups(m.codes, m.blocks, m.runStep, false, g, count, qx, ds, y, yOffset);
    }

    /** Groups g, g + step, … of a Q4_1 copy against the quantized token. */
    static void groups(InterleavedQ4_1 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        groups(m.codes, m.blocks, m.runStep, true, g, count, qx, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4), two at a time; a lone last group runs paired with itself and keeps one
     * result. With four written out, Qwen2.5-0.5B Q4_0 decoded at 11–20 tokens/s in some JVMs and 33–35 in others;
     * two at a time did no better until the range-check trap described at {@link #twoGroups} was found, which may
     * have been the cause all along. Four at a time in the block loop measured within the noise of two.
     */
    private static void groups(MemorySegment codes, int blocks, int step, boolean mins, int g, int count,
                               SpreadToken qx, float[] ds, float[] y, int yOffset) {
        for (int k = 0; k < count; k += 2) {
            int l = k + 1 < count ? k + 1 : k;
            if (mins) {
                twoGroupsWithMins(codes, blocks, g + k * step, g + l * step, k, l, qx.spread, qx.scales,
                        qx.blockSums, ds, y, yOffset, l != k);
            } else {
                twoGroups(codes, blocks, g + k * step, g + l * step, k, l, qx.spread, qx.scales, qx.blockSums, ds, y,
                        yOffset, l != k);
            }
        }
    }

    /**
     * Q4_0 groups a and b (the run's k-th and l-th, whose scales sit at k and l times a group's scales in ds), sharing
     * each load of the spread activations; b's result is stored when {@code storeB}. A block is an inner loop of
     * steps whose offsets are linear in the step, so that C2 checks the array and segment bounds once per block
     * rather than on every load; per step, the even columns, then the odd ones. Written out in one method: a vector
     * op C2 does not inline is boxed. Q4_0 and Q4_1 have a method each, so that each scale index has a constant
     * stride: one shared method, its stride a variable, compiled with a hoisted range check on the scales that
     * failed in real use ("range_check" trap), and C2's recompiled code ran decode at half speed.
     */
    private static void twoGroups(MemorySegment codes, int blocks, int a, int b, int k, int l,
                                  short[] spread, float[] dx, int[] xsums, float[] ds, float[] y, int yOffset,
                                  boolean storeB) {
        int scaleStride = blocks * ROWS;
        int dA = k * scaleStride;
        int dB = l * scaleStride;
        long startA = (long) a * blocks * GROUP_BLOCK_BYTES;
        long startB = (long) b * blocks * GROUP_BLOCK_BYTES;
        FloatVector lowA = FloatVector.zero(F);
        FloatVector highA = lowA;
        FloatVector lowB = lowA;
        FloatVector highB = lowA;
        for (int blk = 0; blk < blocks; blk++) {
            ShortVector accA = ShortVector.zero(S);
            ShortVector accB = accA;
            long qa = startA + (long) blk * GROUP_BLOCK_BYTES;
            long qb = startB + (long) blk * GROUP_BLOCK_BYTES;
            int xb = blk * BLOCK * ROWS;
            for (int s = 0; s < InterleavedQ4_0.STEPS; s++) {
                // even columns 8s + 2k (x at (8s + 2k)·16), then odd ones 8s + 2k + 1
                int xh = xb + s * 8 * ROWS;
                long qs = (long) s * STEP_BYTES;
                ShortVector x0 = ShortVector.fromArray(S, spread, xh);
                ShortVector x1 = ShortVector.fromArray(S, spread, xh + 2 * ROWS);
                ShortVector x2 = ShortVector.fromArray(S, spread, xh + 4 * ROWS);
                ShortVector x3 = ShortVector.fromArray(S, spread, xh + 6 * ROWS);
                IntVector v = ShortVector.fromMemorySegment(S, codes, qa + qs, LE).reinterpretAsInts();
                accA = accA.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
                v = ShortVector.fromMemorySegment(S, codes, qb + qs, LE).reinterpretAsInts();
                accB = accB.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
                x0 = ShortVector.fromArray(S, spread, xh + ROWS);
                x1 = ShortVector.fromArray(S, spread, xh + 3 * ROWS);
                x2 = ShortVector.fromArray(S, spread, xh + 5 * ROWS);
                x3 = ShortVector.fromArray(S, spread, xh + 7 * ROWS);
                v = ShortVector.fromMemorySegment(S, codes, qa + qs + HALF_STEP, LE).reinterpretAsInts();
                accA = accA.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
                v = ShortVector.fromMemorySegment(S, codes, qb + qs + HALF_STEP, LE).reinterpretAsInts();
                accB = accB.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            }
            // Σ(code − 8)·qx, exact in 16 bits whatever the wrapped sum of code·qx was
            short offset = (short) (8 * xsums[blk]);
            float d = dx[blk];
            int at = blk * ROWS;
            ShortVector cA = accA.sub(offset);
            ShortVector cB = accB.sub(offset);
            lowA = ((FloatVector) ((IntVector) cA.convertShape(VectorOperators.S2I, I, 0))
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at).mul(d), lowA);
            highA = ((FloatVector) ((IntVector) cA.convertShape(VectorOperators.S2I, I, 1))
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at + L).mul(d), highA);
            lowB = ((FloatVector) ((IntVector) cB.convertShape(VectorOperators.S2I, I, 0))
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at).mul(d), lowB);
            highB = ((FloatVector) ((IntVector) cB.convertShape(VectorOperators.S2I, I, 1))
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at + L).mul(d), highB);
        }
        lowA.intoArray(y, yOffset + a * ROWS);
        highA.intoArray(y, yOffset + a * ROWS + L);
        if (storeB) {
            lowB.intoArray(y, yOffset + b * ROWS);
            highB.intoArray(y, yOffset + b * ROWS + L);
        }
    }

    /**
     * {@link #twoGroups} for Q4_1: scales and mins alternate per block in ds, the 8·Σqx taken off for exactness goes
     * back in 32 bits, and each row's min times the block's Σqx is added.
     */
    private static void twoGroupsWithMins(MemorySegment codes, int blocks, int a, int b, int k, int l,
                                  short[] spread, float[] dx, int[] xsums, float[] ds, float[] y, int yOffset,
                                  boolean storeB) {
        int sets = 2;
        int scaleStride = sets * blocks * ROWS;
        int dA = k * scaleStride;
        int dB = l * scaleStride;
        long startA = (long) a * blocks * GROUP_BLOCK_BYTES;
        long startB = (long) b * blocks * GROUP_BLOCK_BYTES;
        FloatVector lowA = FloatVector.zero(F);
        FloatVector highA = lowA;
        FloatVector lowB = lowA;
        FloatVector highB = lowA;
        for (int blk = 0; blk < blocks; blk++) {
            ShortVector accA = ShortVector.zero(S);
            ShortVector accB = accA;
            long qa = startA + (long) blk * GROUP_BLOCK_BYTES;
            long qb = startB + (long) blk * GROUP_BLOCK_BYTES;
            int xb = blk * BLOCK * ROWS;
            for (int s = 0; s < InterleavedQ4_0.STEPS; s++) {
                // even columns 8s + 2k (x at (8s + 2k)·16), then odd ones 8s + 2k + 1
                int xh = xb + s * 8 * ROWS;
                long qs = (long) s * STEP_BYTES;
                ShortVector x0 = ShortVector.fromArray(S, spread, xh);
                ShortVector x1 = ShortVector.fromArray(S, spread, xh + 2 * ROWS);
                ShortVector x2 = ShortVector.fromArray(S, spread, xh + 4 * ROWS);
                ShortVector x3 = ShortVector.fromArray(S, spread, xh + 6 * ROWS);
                IntVector v = ShortVector.fromMemorySegment(S, codes, qa + qs, LE).reinterpretAsInts();
                accA = accA.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
                v = ShortVector.fromMemorySegment(S, codes, qb + qs, LE).reinterpretAsInts();
                accB = accB.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
                x0 = ShortVector.fromArray(S, spread, xh + ROWS);
                x1 = ShortVector.fromArray(S, spread, xh + 3 * ROWS);
                x2 = ShortVector.fromArray(S, spread, xh + 5 * ROWS);
                x3 = ShortVector.fromArray(S, spread, xh + 7 * ROWS);
                v = ShortVector.fromMemorySegment(S, codes, qa + qs + HALF_STEP, LE).reinterpretAsInts();
                accA = accA.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
                v = ShortVector.fromMemorySegment(S, codes, qb + qs + HALF_STEP, LE).reinterpretAsInts();
                accB = accB.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            }
            // Σ(code − 8)·qx, exact in 16 bits whatever the wrapped sum of code·qx was
            short offset = (short) (8 * xsums[blk]);
            int back = 8 * xsums[blk];
            float d = dx[blk];
            int at = sets * blk * ROWS;
            ShortVector cA = accA.sub(offset);
            ShortVector cB = accB.sub(offset);
            lowA = ((FloatVector) ((IntVector) cA.convertShape(VectorOperators.S2I, I, 0)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at).mul(d), lowA);
            highA = ((FloatVector) ((IntVector) cA.convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dA + at + L).mul(d), highA);
            lowB = ((FloatVector) ((IntVector) cB.convertShape(VectorOperators.S2I, I, 0)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at).mul(d), lowB);
            highB = ((FloatVector) ((IntVector) cB.convertShape(VectorOperators.S2I, I, 1)).add(back)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, dB + at + L).mul(d), highB);
            FloatVector mx = FloatVector.broadcast(F, d * xsums[blk]);
            lowA = FloatVector.fromArray(F, ds, dA + at + ROWS).fma(mx, lowA);
            highA = FloatVector.fromArray(F, ds, dA + at + ROWS + L).fma(mx, highA);
            lowB = FloatVector.fromArray(F, ds, dB + at + ROWS).fma(mx, lowB);
            highB = FloatVector.fromArray(F, ds, dB + at + ROWS + L).fma(mx, highB);
        }
        lowA.intoArray(y, yOffset + a * ROWS);
        highA.intoArray(y, yOffset + a * ROWS + L);
        if (storeB) {
            lowB.intoArray(y, yOffset + b * ROWS);
            highB.intoArray(y, yOffset + b * ROWS + L);
        }
    }

    /** Compiles the kernel on its own before any product runs, once per JVM, with Q4_0's and Q4_1's blocks in turn. */
    static synchronized void warmUp() {
        if (warm) {
            return;
        }
        warm = true;
        int blocks = WARM_UP_BLOCKS;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * blocks * GROUP_BLOCK_BYTES, 4 * 2 * blocks * ROWS,
                0xFF);
        InterleavedQ4_1 q41 = new InterleavedQ4_1(4 * ROWS, blocks * BLOCK, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(blocks * BLOCK);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[8 * blocks * ROWS];
        // Q4_0 and Q4_1 in turn, and every fourth call a run of three, whose lone group keeps one result
        InterleavedMatrix.warmUntilCompiled(
                i -> groups(data[0], blocks, 1, i % 2 == 1, 0, i % 4 == 3 ? 3 : 4, qx,
                        q41.scalesAsFloats(0, 8 * blocks, ds), y, 0),
                data[0].byteSize(), 5_000);
    }
}
