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
        fourGroups(m.codes, m.blocks, m.runStep, false, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset);
    }

    /** Groups g, g + step, … of a Q4_1 copy against the quantized token. */
    static void groups(InterleavedQ4_1 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m.codes, m.blocks, m.runStep, true, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4), sharing each load of the spread activations: per step, the even columns
     * of every group, then the odd ones, so that four activation vectors are live at a time. A group past the count
     * reads group g's codes again and keeps no result. Written out in one method: a vector op C2 does not inline is
     * boxed.
     */
    private static void fourGroups(MemorySegment codes, int blocks, int step, boolean mins, int g, int count,
                                   short[] spread, float[] dx, int[] xsums, float[] ds, float[] y, int yOffset) {
        int sets = mins ? 2 : 1;
        long next = (long) blocks * GROUP_BLOCK_BYTES;
        long n1 = count > 1 ? step * next : 0;
        long n2 = count > 2 ? 2 * step * next : 0;
        long n3 = count > 3 ? 3 * step * next : 0;
        int scaleStride = sets * blocks * ROWS;
        int d1 = count > 1 ? scaleStride : 0;
        int d2 = count > 2 ? 2 * scaleStride : 0;
        int d3 = count > 3 ? 3 * scaleStride : 0;
        long start = (long) g * blocks * GROUP_BLOCK_BYTES;
        FloatVector low0 = FloatVector.zero(F);
        FloatVector high0 = low0;
        FloatVector low1 = low0;
        FloatVector high1 = low0;
        FloatVector low2 = low0;
        FloatVector high2 = low0;
        FloatVector low3 = low0;
        FloatVector high3 = low0;
        ShortVector acc0 = ShortVector.zero(S);
        ShortVector acc1 = acc0;
        ShortVector acc2 = acc0;
        ShortVector acc3 = acc0;
        int steps = blocks * InterleavedQ4_0.STEPS;
        for (int s = 0; s < steps; s++) {
            long q = start + (long) s * STEP_BYTES;
            int xs = s * 8 * ROWS;
            for (int half = 0; half < 2; half++) {
                // half 0: even columns (x at 2k·16), half 1: odd ones (x at 2k·16 + 16); unrolled by C2
                int xh = xs + half * ROWS;
                long qh = q + half * HALF_STEP;
                ShortVector x0 = ShortVector.fromArray(S, spread, xh);
                ShortVector x1 = ShortVector.fromArray(S, spread, xh + 2 * ROWS);
                ShortVector x2 = ShortVector.fromArray(S, spread, xh + 4 * ROWS);
                ShortVector x3 = ShortVector.fromArray(S, spread, xh + 6 * ROWS);
                IntVector v = ShortVector.fromMemorySegment(S, codes, qh, LE).reinterpretAsInts();
                acc0 = acc0.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
                v = ShortVector.fromMemorySegment(S, codes, qh + n1, LE).reinterpretAsInts();
                acc1 = acc1.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
                v = ShortVector.fromMemorySegment(S, codes, qh + n2, LE).reinterpretAsInts();
                acc2 = acc2.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
                v = ShortVector.fromMemorySegment(S, codes, qh + n3, LE).reinterpretAsInts();
                acc3 = acc3.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                        .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                        .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts().mul(x3))));
            }
            if ((s & (InterleavedQ4_0.STEPS - 1)) == InterleavedQ4_0.STEPS - 1) {
                int b = s / InterleavedQ4_0.STEPS;
                // Σ(code − 8)·qx, exact in 16 bits whatever the wrapped sum of code·qx was
                short offset = (short) (8 * xsums[b]);
                int back = mins ? 8 * xsums[b] : 0;
                float d = dx[b];
                int at = sets * b * ROWS;
                ShortVector c0 = acc0.sub(offset);
                ShortVector c1 = acc1.sub(offset);
                ShortVector c2 = acc2.sub(offset);
                ShortVector c3 = acc3.sub(offset);
                low0 = ((FloatVector) ((IntVector) c0.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, at).mul(d), low0);
                high0 = ((FloatVector) ((IntVector) c0.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, at + L).mul(d), high0);
                low1 = ((FloatVector) ((IntVector) c1.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d1 + at).mul(d), low1);
                high1 = ((FloatVector) ((IntVector) c1.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d1 + at + L).mul(d), high1);
                low2 = ((FloatVector) ((IntVector) c2.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d2 + at).mul(d), low2);
                high2 = ((FloatVector) ((IntVector) c2.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d2 + at + L).mul(d), high2);
                low3 = ((FloatVector) ((IntVector) c3.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, d3 + at).mul(d), low3);
                high3 = ((FloatVector) ((IntVector) c3.convertShape(VectorOperators.S2I, I, 1)).add(back)
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
                acc0 = ShortVector.zero(S);
                acc1 = acc0;
                acc2 = acc0;
                acc3 = acc0;
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
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(data[0], blocks, 1, i % 2 == 1, 0, 4, qx.spread, qx.scales, qx.blockSums,
                        q41.scalesAsFloats(0, 8 * blocks, ds), y, 0),
                data[0].byteSize(), 5_000);
    }
}
