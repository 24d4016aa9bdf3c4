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
 * {@link Q4KTokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same interleaved copies and the
 * same integer sums, bit-identical with the scalar twin. Each 64-byte step is two loads: the even columns of the 16
 * rows, then the odd ones, 16 shorts each, so that one 16-lane short accumulator per group adds a sub-block's 32
 * products per row where the 512-bit kernel's lanes add 16. Those may pass 2¹⁵ (32·15·127), but Σ(code − 8)·qx
 * cannot (32·8·127 = 32512 < 2¹⁵, x's codes lying in [−127, 127]): the sum wraps in 16 bits, 8·Σqx comes off in
 * 16 bits, which leaves Σ(code − 8)·qx exactly, and 8·Σqx goes back on in 32 bits, which gives the exact Σcode·qx
 * that the 512-bit kernel and the scalar twin scale.
 *
 * <p>A run's groups go two at a time: four written out made a method C1 could not compile ("out of virtual
 * registers") and C2 then left vector operations boxed, at a tenth of a GB/s; with two, the sums, each super-block's
 * scaled sums and the totals (rows 0–7 and 8–15 as two 8-float vectors each) fit AVX2's 16 registers or spill once
 * per sub-block. The mins are gathered after each super-block's sub-blocks, in the same order.
 */
final class Q4KTokenKernel256 {
    private static final int ROWS = InterleavedQ4_K.ROWS;
    private static final int BLOCK = 32;
    private static final int STEPS = InterleavedQ4_0.STEPS;
    private static final int STEP_BYTES = InterleavedQ4_0.STEP_BYTES;
    private static final int HALF_STEP = STEP_BYTES / 2;
    private static final int SUBS = InterleavedQ4_K.SUBS;
    private static final int MINS = InterleavedQ4_K.MINS;
    private static final int CODES = InterleavedQ4_K.CODES;
    private static final int SUPER_BYTES = InterleavedQ4_K.SUPER_BYTES;
    private static final int SUB_BYTES = InterleavedQ4_K.SUB_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int NIBBLE = InterleavedQ4_0.NIBBLES;
    private static boolean warm;

    private Q4KTokenKernel256() {
    }

    /**
     * Groups g, g + step, … (count 1 to 4) of m against the quantized token ({@link InterleavedMatrix#groups}), two
     * at a time; a lone last group runs paired with itself and keeps one result.
     */
    static void groups(InterleavedQ4_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        int step = m.runStep;
        for (int k = 0; k < count; k += 2) {
            int other = k + 1 < count ? k + 1 : k;
            twoGroups(m, g + k * step, g + other * step, k, other, qx.spread, qx.scales, qx.blockSums, ds, y,
                    yOffset, other != k);
        }
    }

    /**
     * Groups a and b (the run's k-th and l-th, whose scales sit at k·scaleSets·16 and l·scaleSets·16 of ds) against
     * the quantized token, sharing each load of the spread activations; b's result is stored when {@code storeB}.
     * Written out in one method: a vector op C2 does not inline is boxed.
     */
    private static void twoGroups(InterleavedQ4_K m, int a, int b, int k, int l, short[] spread, float[] dx,
                                  int[] xsums, float[] ds, float[] y, int yOffset, boolean storeB) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        int scaleStride = 2 * supers * ROWS;
        int dA = k * scaleStride;
        int dB = l * scaleStride;
        long startA = (long) a * supers * SUPER_BYTES;
        long nB = ((long) b - a) * supers * SUPER_BYTES;
        FloatVector totalA0 = FloatVector.zero(F);
        FloatVector totalA1 = totalA0;
        FloatVector totalB0 = totalA0;
        FloatVector totalB1 = totalA0;
        for (int sb = 0; sb < supers; sb++) {
            long at = startA + (long) sb * SUPER_BYTES;
            FloatVector scaledA0 = FloatVector.zero(F);
            FloatVector scaledA1 = scaledA0;
            FloatVector scaledB0 = scaledA0;
            FloatVector scaledB1 = scaledA0;
            for (int j = 0; j < SUBS; j++) {
                int blk = sb * SUBS + j;
                long q = at + CODES + j * SUB_BYTES;
                int xs = blk * BLOCK * ROWS;
                ShortVector accA = ShortVector.zero(S);
                ShortVector accB = accA;
                for (int s = 0; s < 2 * STEPS; s++) {
                    // step s / 2, half s % 2: even columns (x at 2k·16), then odd ones (x at 2k·16 + 16)
                    int xh = xs + (s >> 1) * 8 * ROWS + (s & 1) * ROWS;
                    long qh = q + (s >> 1) * STEP_BYTES + (s & 1) * HALF_STEP;
                    ShortVector x0 = ShortVector.fromArray(S, spread, xh);
                    ShortVector x1 = ShortVector.fromArray(S, spread, xh + 2 * ROWS);
                    ShortVector x2 = ShortVector.fromArray(S, spread, xh + 4 * ROWS);
                    ShortVector x3 = ShortVector.fromArray(S, spread, xh + 6 * ROWS);
                    IntVector v = ShortVector.fromMemorySegment(S, codes, qh, LE).reinterpretAsInts();
                    accA = accA.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                            .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                            .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                    .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                            .mul(x3))));
                    v = ShortVector.fromMemorySegment(S, codes, qh + nB, LE).reinterpretAsInts();
                    accB = accB.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                            .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                            .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                    .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                            .mul(x3))));
                }
                // Σ(code − 8)·qx, exact in 16 bits whatever the wrapped Σcode·qx was; Σcode·qx again in 32 bits
                short offset = (short) (8 * xsums[blk]);
                int back = 8 * xsums[blk];
                FloatVector d = FloatVector.broadcast(F, dx[blk]);
                ShortVector cA = accA.sub(offset);
                ShortVector cB = accB.sub(offset);
                long sc = at + j * ROWS;
                scaledA0 = ((FloatVector) ((IntVector) cA.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledA0);
                scaledA1 = ((FloatVector) ((IntVector) cA.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledA1);
                scaledB0 = ((FloatVector) ((IntVector) cB.convertShape(VectorOperators.S2I, I, 0)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + nB, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledB0);
                scaledB1 = ((FloatVector) ((IntVector) cB.convertShape(VectorOperators.S2I, I, 1)).add(back)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + nB + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledB1);
            }
            FloatVector minsA0 = FloatVector.zero(F);
            FloatVector minsA1 = minsA0;
            FloatVector minsB0 = minsA0;
            FloatVector minsB1 = minsA0;
            for (int j = 0; j < SUBS; j++) {
                int blk = sb * SUBS + j;
                FloatVector dsum = FloatVector.broadcast(F, dx[blk] * xsums[blk]);
                long mn = at + MINS + j * ROWS;
                minsA0 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mn, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsA0);
                minsA1 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mn + L, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsA1);
                minsB0 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mn + nB, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsB0);
                minsB1 = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mn + nB + L, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, minsB1);
            }
            int e = 2 * sb * ROWS;
            totalA0 = FloatVector.fromArray(F, ds, dA + e).fma(scaledA0, totalA0);
            totalA0 = FloatVector.fromArray(F, ds, dA + e + ROWS).neg().fma(minsA0, totalA0);
            totalA1 = FloatVector.fromArray(F, ds, dA + e + L).fma(scaledA1, totalA1);
            totalA1 = FloatVector.fromArray(F, ds, dA + e + ROWS + L).neg().fma(minsA1, totalA1);
            totalB0 = FloatVector.fromArray(F, ds, dB + e).fma(scaledB0, totalB0);
            totalB0 = FloatVector.fromArray(F, ds, dB + e + ROWS).neg().fma(minsB0, totalB0);
            totalB1 = FloatVector.fromArray(F, ds, dB + e + L).fma(scaledB1, totalB1);
            totalB1 = FloatVector.fromArray(F, ds, dB + e + ROWS + L).neg().fma(minsB1, totalB1);
        }
        totalA0.intoArray(y, yOffset + a * ROWS);
        totalA1.intoArray(y, yOffset + a * ROWS + L);
        if (storeB) {
            totalB0.intoArray(y, yOffset + b * ROWS);
            totalB1.intoArray(y, yOffset + b * ROWS + L);
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
        int cols = SUBS * BLOCK;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * SUPER_BYTES, 8 * ROWS, 0x3F);
        InterleavedQ4_K m = new InterleavedQ4_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[8 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> groups(m, 0, 4, qx, m.scalesAsFloats(0, 8, ds), y, 0), data[0].byteSize(), 2_000);
    }
}
