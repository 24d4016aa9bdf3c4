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
 * {@link Q3KTokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same interleaved copies and the
 * same integer sums, bit-identical with the scalar twin. The sub-block's low bit pairs (two chunks) and its high bits
 * are each two 16-byte halves, the even columns' 16 rows and the odd ones', each widened to 16 shorts by one load; a
 * 16-bit shift and a mask give a column's low bits, another its high bit (the half's high bits, shifted left by 2 once,
 * then right by the column's place), and the codes (0–7) multiply the column's spread activations. One 16-lane short
 * accumulator per group adds all 16 columns of a sub-block, where the 512-bit kernel's lanes add 8: the sum stays
 * exact, as {@code |Σcode·qx| ≤ 16·7·127 = 14224 < 2¹⁵} (x's codes in [−127, 127]). 4 times x's sum there
 * ({@link SpreadToken#halfSums}) comes off in 32 bits, as in the 512-bit kernel.
 *
 * <p>Registers: per half, the integer steps keep the 4 groups' high bits, the 4 groups' codes of one chunk, 4
 * accumulators and one activation vector live, with two temporaries: 15 of AVX2's 16 (the two masks are constants,
 * which C2 can load again rather than keep). The floats, rows 0–7 and 8–15 as two 8-float vectors, run as in
 * {@link Q4KTokenKernel256}, in a loop over the groups through a small per-thread buffer, in the scalar twin's order
 * of operations. No byte shifts, which AVX2 lacks: the bits are taken in 16-bit lanes after widening.
 */
final class Q3KTokenKernel256 {
    private static final int ROWS = InterleavedQ3_K.ROWS;
    private static final int BLOCK = 32;
    private static final int SUB = InterleavedQ3_K.SUB;
    private static final int SUBS = InterleavedQ3_K.SUBS;
    private static final int SUBS_AT = InterleavedQ3_K.SUBS_AT;
    private static final int SUB_BYTES = InterleavedQ3_K.SUB_BYTES;
    private static final int CHUNK_BYTES = InterleavedQ3_K.CHUNK_BYTES;
    private static final int HIGHS_AT = InterleavedQ3_K.HIGHS_AT;
    private static final int SUPER_BYTES = InterleavedQ3_K.SUPER_BYTES;
    private static final int RUN = InterleavedMatrix.RUN_GROUPS;
    /** Where a buffer's scaled sums start; each group's totals come first, 16 floats each. */
    private static final int SCALED = RUN * ROWS;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);
    private static boolean warm;

    private Q3KTokenKernel256() {
    }

    /** A worker's buffers between the integer steps and the floats: one set per thread, so that calls allocate none. */
    private static final class Buffers {
        /** Each group's Σcode·qx of the sub-block, 16 rows. */
        final short[] sums = new short[RUN * ROWS];
        /** Each group's 16 totals, then its 16 scaled sums of the super-block. */
        final float[] floats = new float[2 * RUN * ROWS];
    }

    /**
     * Groups g, g + step, … of m against the quantized token ({@link InterleavedMatrix#groups}); {@code ds} holds
     * each group's d per super-block, 16 rows each.
     */
    static void groups(InterleavedQ3_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        Buffers buffers = BUFFERS.get();
        fourGroups(m, g, count, qx.spread, qx.scales, qx.halfSums, ds, y, yOffset, buffers.sums, buffers.floats);
    }

    /**
     * Groups g, g + step, … (count 1 to 4), sharing each load of the spread activations. A group past the count
     * reads group g's codes again and keeps no result. The integer steps are written out in one method (a vector op
     * C2 does not inline is boxed); per sub-block the floats run group by group through {@code sums} and
     * {@code floats}: {@code scaled = ((Σcode·qx − 4·Σqx) · scale)·dx + scaled}; then per super-block
     * {@code total = d·scaled + total}, as the scalar twin adds them.
     */
    private static void fourGroups(InterleavedQ3_K m, int g, int count, short[] spread, float[] dx, int[] halfSums,
                                   float[] ds, float[] y, int yOffset, short[] sums, float[] floats) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        int step = m.runStep;
        // bytes between the groups of the run
        long next = (long) step * supers * SUPER_BYTES;
        long n1 = count > 1 ? next : 0;
        long n2 = count > 2 ? 2 * next : 0;
        long n3 = count > 3 ? 3 * next : 0;
        int scaleStride = supers * ROWS;
        Arrays.fill(floats, 0, SCALED, 0f);
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * SUPER_BYTES;
            Arrays.fill(floats, SCALED, 2 * SCALED, 0f);
            for (int k = 0; k < SUBS; k++) {
                int col = sb * SUBS * SUB + k * SUB;
                long sub = at + SUBS_AT + (long) k * SUB_BYTES;
                ShortVector acc0 = ShortVector.zero(S);
                ShortVector acc1 = acc0;
                ShortVector acc2 = acc0;
                ShortVector acc3 = acc0;
                // loops, which C2 unrolls: half 0 is the even columns, half 1 the odd ones; chunk 0 columns 0–7,
                // chunk 1 8–15; pair p the column t = 8·chunk + 2p + half, its low bits in bits 2p and 2p + 1 of each
                // row's byte of the chunk, its high bit in bit t / 2 = 4·chunk + p of the row's byte of high bits
                for (int half = 0; half < 2; half++) {
                    long highs = sub + HIGHS_AT + half * ROWS;
                    ShortVector h0 = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, highs, LE)
                            .convertShape(VectorOperators.B2S, S, 0)).lanewise(VectorOperators.LSHL, 2);
                    ShortVector h1 = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, highs + n1, LE)
                            .convertShape(VectorOperators.B2S, S, 0)).lanewise(VectorOperators.LSHL, 2);
                    ShortVector h2 = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, highs + n2, LE)
                            .convertShape(VectorOperators.B2S, S, 0)).lanewise(VectorOperators.LSHL, 2);
                    ShortVector h3 = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, highs + n3, LE)
                            .convertShape(VectorOperators.B2S, S, 0)).lanewise(VectorOperators.LSHL, 2);
                    for (int chunk = 0; chunk < 2; chunk++) {
                        long lows = sub + chunk * CHUNK_BYTES + half * ROWS;
                        ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B16, codes, lows, LE)
                                .convertShape(VectorOperators.B2S, S, 0);
                        ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(B16, codes, lows + n1, LE)
                                .convertShape(VectorOperators.B2S, S, 0);
                        ShortVector v2 = (ShortVector) ByteVector.fromMemorySegment(B16, codes, lows + n2, LE)
                                .convertShape(VectorOperators.B2S, S, 0);
                        ShortVector v3 = (ShortVector) ByteVector.fromMemorySegment(B16, codes, lows + n3, LE)
                                .convertShape(VectorOperators.B2S, S, 0);
                        for (int pair = 0; pair < 4; pair++) {
                            int place = 4 * chunk + pair;
                            ShortVector x = ShortVector.fromArray(S, spread,
                                    (col + 8 * chunk + 2 * pair + half) * ROWS);
                            acc0 = acc0.add(v0.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3)
                                    .or(h0.lanewise(VectorOperators.LSHR, place).and((short) 4)).mul(x));
                            acc1 = acc1.add(v1.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3)
                                    .or(h1.lanewise(VectorOperators.LSHR, place).and((short) 4)).mul(x));
                            acc2 = acc2.add(v2.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3)
                                    .or(h2.lanewise(VectorOperators.LSHR, place).and((short) 4)).mul(x));
                            acc3 = acc3.add(v3.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3)
                                    .or(h3.lanewise(VectorOperators.LSHR, place).and((short) 4)).mul(x));
                        }
                    }
                }
                acc0.intoArray(sums, 0);
                acc1.intoArray(sums, ROWS);
                acc2.intoArray(sums, 2 * ROWS);
                acc3.intoArray(sums, 3 * ROWS);
                int offset = 4 * halfSums[col / SUB];
                FloatVector d = FloatVector.broadcast(F, dx[col / BLOCK]);
                for (int i = 0; i < count; i++) {
                    ShortVector c = ShortVector.fromArray(S, sums, i * ROWS);
                    long sc = at + i * next + (long) k * ROWS;
                    int o = SCALED + i * ROWS;
                    ((FloatVector) ((IntVector) c.convertShape(VectorOperators.S2I, I, 0)).sub(offset)
                            .convert(VectorOperators.I2F, 0))
                            .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                                    .convertShape(VectorOperators.B2F, F, 0))
                            .fma(d, FloatVector.fromArray(F, floats, o)).intoArray(floats, o);
                    ((FloatVector) ((IntVector) c.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                            .convert(VectorOperators.I2F, 0))
                            .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                                    .convertShape(VectorOperators.B2F, F, 0))
                            .fma(d, FloatVector.fromArray(F, floats, o + L)).intoArray(floats, o + L);
                }
            }
            for (int i = 0; i < count; i++) {
                int e = i * scaleStride + sb * ROWS;
                int o = i * ROWS;
                FloatVector.fromArray(F, ds, e).fma(FloatVector.fromArray(F, floats, SCALED + o),
                        FloatVector.fromArray(F, floats, o)).intoArray(floats, o);
                FloatVector.fromArray(F, ds, e + L).fma(FloatVector.fromArray(F, floats, SCALED + o + L),
                        FloatVector.fromArray(F, floats, o + L)).intoArray(floats, o + L);
            }
        }
        for (int i = 0; i < count; i++) {
            System.arraycopy(floats, i * ROWS, y, yOffset + (g + i * step) * ROWS, ROWS);
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
        int cols = SUBS * SUB;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * SUPER_BYTES, 4 * ROWS, 0xFF);
        InterleavedQ3_K m = new InterleavedQ3_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[4 * ROWS];
        Buffers buffers = new Buffers();
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(m, 0, 4, qx.spread, qx.scales, qx.halfSums, m.scalesAsFloats(0, 4, ds), y, 0,
                        buffers.sums, buffers.floats),
                data[0].byteSize(), 2_000);
    }
}
