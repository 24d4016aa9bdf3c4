package dev.jllm.core.linalg;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
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
 * <p>The floats, rows 0–7 and 8–15 as two 8-float vectors, then take twice the 512-bit kernel's operations: written
 * out for four groups, the method grew past what C1 compiles ("out of virtual registers"), so it never got the
 * profile C2 waits for and ran boxed, and its 24 float sums could not stay in 16 registers anyway. So only the
 * integer steps are written out for four groups; the floats run in a loop over the groups, each group's sums and
 * totals kept in a small per-thread buffer (L1 traffic of a few vectors per sub-block against its ~550 integer
 * operations), in the same order of operations as the scalar twin.
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
    private static final int RUN = InterleavedMatrix.RUN_GROUPS;
    /** Where a buffer's scaled sums start; each group's totals come first, 16 floats each. */
    private static final int SCALED = RUN * ROWS;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int NIBBLE = InterleavedQ4_0.NIBBLES;
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);
    private static boolean warm;

    private Q4KTokenKernel256() {
    }

    /** A worker's buffers between the integer steps and the floats: one set per thread, so that calls allocate none. */
    private static final class Buffers {
        /** Each group's Σ(code − 8)·qx of the sub-block, 16 rows. */
        final short[] sums = new short[RUN * ROWS];
        /** Each group's 16 totals, then its 16 scaled sums of the super-block. */
        final float[] floats = new float[2 * RUN * ROWS];
    }

    /** Groups g, g + step, … of m against the quantized token ({@link InterleavedMatrix#groups}). */
    static void groups(InterleavedQ4_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        Buffers buffers = BUFFERS.get();
        fourGroups(m, g, count, qx.spread, qx.scales, qx.blockSums, ds, y, yOffset, buffers.sums, buffers.floats);
    }

    /**
     * Groups g, g + step, … (count 1 to 4), sharing each load of the spread activations: per step, the even columns
     * of every group, then the odd ones, so that four activation vectors are live at a time. A group past the count
     * reads group g's codes again and keeps no result. The integer steps are written out in one method (a vector op
     * C2 does not inline is boxed); per sub-block and super-block the floats run group by group through
     * {@code sums} and {@code floats}: {@code scaled = (Σcode·qx · scale)·dx + scaled}; then per super-block
     * {@code total = d·scaled + total} and {@code total = −dmin·mins + total}, as the scalar twin adds them.
     */
    private static void fourGroups(InterleavedQ4_K m, int g, int count, short[] spread, float[] dx, int[] xsums,
                                   float[] ds, float[] y, int yOffset, short[] sums, float[] floats) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        int step = m.runStep;
        // bytes between the groups of the run
        long next = (long) step * supers * SUPER_BYTES;
        long n1 = count > 1 ? next : 0;
        long n2 = count > 2 ? 2 * next : 0;
        long n3 = count > 3 ? 3 * next : 0;
        int scaleStride = 2 * supers * ROWS;
        Arrays.fill(floats, 0, SCALED, 0f);
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * SUPER_BYTES;
            Arrays.fill(floats, SCALED, 2 * SCALED, 0f);
            for (int j = 0; j < SUBS; j++) {
                int b = sb * SUBS + j;
                long q = at + CODES + j * SUB_BYTES;
                int xs = b * BLOCK * ROWS;
                ShortVector acc0 = ShortVector.zero(S);
                ShortVector acc1 = acc0;
                ShortVector acc2 = acc0;
                ShortVector acc3 = acc0;
                for (int s = 0; s < STEPS; s++) {
                    for (int half = 0; half < 2; half++) {
                        // half 0: even columns (x at 2k·16), half 1: odd ones (x at 2k·16 + 16); unrolled by C2
                        int xh = xs + s * 8 * ROWS + half * ROWS;
                        long qh = q + s * STEP_BYTES + half * HALF_STEP;
                        ShortVector x0 = ShortVector.fromArray(S, spread, xh);
                        ShortVector x1 = ShortVector.fromArray(S, spread, xh + 2 * ROWS);
                        ShortVector x2 = ShortVector.fromArray(S, spread, xh + 4 * ROWS);
                        ShortVector x3 = ShortVector.fromArray(S, spread, xh + 6 * ROWS);
                        IntVector v = ShortVector.fromMemorySegment(S, codes, qh, LE).reinterpretAsInts();
                        acc0 = acc0.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                                .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                                .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                        .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                                .mul(x3))));
                        v = ShortVector.fromMemorySegment(S, codes, qh + n1, LE).reinterpretAsInts();
                        acc1 = acc1.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                                .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                                .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                        .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                                .mul(x3))));
                        v = ShortVector.fromMemorySegment(S, codes, qh + n2, LE).reinterpretAsInts();
                        acc2 = acc2.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                                .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                                .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                        .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                                .mul(x3))));
                        v = ShortVector.fromMemorySegment(S, codes, qh + n3, LE).reinterpretAsInts();
                        acc3 = acc3.add(v.and(NIBBLE).reinterpretAsShorts().mul(x0)
                                .add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLE).reinterpretAsShorts().mul(x1))
                                .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLE).reinterpretAsShorts().mul(x2)
                                        .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLE).reinterpretAsShorts()
                                                .mul(x3))));
                    }
                }
                // Σ(code − 8)·qx, exact in 16 bits whatever the wrapped Σcode·qx was; Σcode·qx again in 32 bits below
                short offset = (short) (8 * xsums[b]);
                acc0.sub(offset).intoArray(sums, 0);
                acc1.sub(offset).intoArray(sums, ROWS);
                acc2.sub(offset).intoArray(sums, 2 * ROWS);
                acc3.sub(offset).intoArray(sums, 3 * ROWS);
                int back = 8 * xsums[b];
                FloatVector d = FloatVector.broadcast(F, dx[b]);
                for (int k = 0; k < count; k++) {
                    ShortVector c = ShortVector.fromArray(S, sums, k * ROWS);
                    long sc = at + k * next + j * ROWS;
                    int o = SCALED + k * ROWS;
                    ((FloatVector) ((IntVector) c.convertShape(VectorOperators.S2I, I, 0)).add(back)
                            .convert(VectorOperators.I2F, 0))
                            .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                                    .convertShape(VectorOperators.B2F, F, 0))
                            .fma(d, FloatVector.fromArray(F, floats, o)).intoArray(floats, o);
                    ((FloatVector) ((IntVector) c.convertShape(VectorOperators.S2I, I, 1)).add(back)
                            .convert(VectorOperators.I2F, 0))
                            .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                                    .convertShape(VectorOperators.B2F, F, 0))
                            .fma(d, FloatVector.fromArray(F, floats, o + L)).intoArray(floats, o + L);
                }
            }
            for (int k = 0; k < count; k++) {
                long mn = at + k * next + MINS;
                FloatVector low = FloatVector.zero(F);
                FloatVector high = low;
                for (int j = 0; j < SUBS; j++) {
                    int b = sb * SUBS + j;
                    FloatVector dsum = FloatVector.broadcast(F, dx[b] * xsums[b]);
                    low = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mn + j * ROWS, LE)
                            .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, low);
                    high = ((FloatVector) ByteVector.fromMemorySegment(B8, codes, mn + j * ROWS + L, LE)
                            .convertShape(VectorOperators.B2F, F, 0)).fma(dsum, high);
                }
                int e = k * scaleStride + 2 * sb * ROWS;
                int o = k * ROWS;
                FloatVector.fromArray(F, ds, e + ROWS).neg().fma(low, FloatVector.fromArray(F, ds, e)
                                .fma(FloatVector.fromArray(F, floats, SCALED + o), FloatVector.fromArray(F, floats, o)))
                        .intoArray(floats, o);
                FloatVector.fromArray(F, ds, e + ROWS + L).neg().fma(high, FloatVector.fromArray(F, ds, e + L)
                                .fma(FloatVector.fromArray(F, floats, SCALED + o + L),
                                        FloatVector.fromArray(F, floats, o + L)))
                        .intoArray(floats, o + L);
            }
        }
        for (int k = 0; k < count; k++) {
            System.arraycopy(floats, k * ROWS, y, yOffset + (g + k * step) * ROWS, ROWS);
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
        Buffers buffers = new Buffers();
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(m, 0, 4, qx.spread, qx.scales, qx.blockSums, m.scalesAsFloats(0, 8, ds), y, 0,
                        buffers.sums, buffers.floats),
                data[0].byteSize(), 2_000);
    }
}
