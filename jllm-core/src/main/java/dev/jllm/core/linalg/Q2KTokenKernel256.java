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
 * {@link Q2KTokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same interleaved copies and the
 * same integer sums, bit-identical with the scalar twin. Each chunk's 32 bytes are two 16-byte halves, the even
 * columns' 16 rows and the odd ones', each widened to 16 shorts by one load; a 16-bit shift and a mask then give a
 * column's two-bit codes, which multiply the column's spread activations. One 16-lane short accumulator per group
 * adds all 16 columns of a sub-block, where the 512-bit kernel's lanes add 8: the sum stays exact, as
 * {@code |Σcode·qx| ≤ 16·3·127 = 6096 < 2¹⁵} (codes 0–3, x's codes in [−127, 127]), and is the exact Σcode·qx that
 * the 512-bit kernel and the scalar twin scale.
 *
 * <p>Registers: the integer steps keep 4 accumulators, the 4 groups' widened codes of one half of a chunk and one
 * activation vector live, with a temporary and the mask: 11 of AVX2's 16. The floats, rows 0–7 and 8–15 as two 8-float
 * vectors, would need 24 more (scaled sums, mins and totals of four groups), so they run, as in
 * {@link Q4KTokenKernel256}, in a loop over the groups through a small per-thread buffer, in the scalar twin's order
 * of operations; the mins are gathered per group after each super-block's sub-blocks. No byte shifts, which AVX2
 * lacks: the codes are taken in 16-bit lanes after widening, the 4-bit scales and mins in 32-bit ones.
 */
final class Q2KTokenKernel256 {
    private static final int ROWS = InterleavedQ2_K.ROWS;
    private static final int BLOCK = 32;
    private static final int SUB = InterleavedQ2_K.SUB;
    private static final int SUBS = InterleavedQ2_K.SUBS;
    private static final int SUBS_AT = InterleavedQ2_K.SUBS_AT;
    private static final int SUB_BYTES = InterleavedQ2_K.SUB_BYTES;
    private static final int CHUNK_BYTES = InterleavedQ2_K.CHUNK_BYTES;
    private static final int SUPER_BYTES = InterleavedQ2_K.SUPER_BYTES;
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

    private Q2KTokenKernel256() {
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
     * each group's d then dmin per super-block, 16 rows each.
     */
    static void groups(InterleavedQ2_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        Buffers buffers = BUFFERS.get();
        fourGroups(m, g, count, qx.spread, qx.scales, qx.halfSums, ds, y, yOffset, buffers.sums, buffers.floats);
    }

    /**
     * Groups g, g + step, … (count 1 to 4), sharing each load of the spread activations. A group past the count
     * reads group g's codes again and keeps no result. The integer steps are written out in one method (a vector op
     * C2 does not inline is boxed); per sub-block the floats run group by group through {@code sums} and
     * {@code floats}: {@code scaled = (Σcode·qx · scale)·dx + scaled}; per super-block the mins
     * {@code mins = min·(dx·Σqx) + mins} over its sub-blocks, then {@code total = d·scaled + total} and
     * {@code total = −dmin·mins + total}, as the scalar twin adds them.
     */
    private static void fourGroups(InterleavedQ2_K m, int g, int count, short[] spread, float[] dx, int[] halfSums,
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
            for (int k = 0; k < SUBS; k++) {
                int col = sb * SUBS * SUB + k * SUB;
                long sub = at + SUBS_AT + (long) k * SUB_BYTES;
                ShortVector acc0 = ShortVector.zero(S);
                ShortVector acc1 = acc0;
                ShortVector acc2 = acc0;
                ShortVector acc3 = acc0;
                // loops, which C2 unrolls: chunk 0 is columns 0–7, chunk 1 8–15; half 0 their even columns, half 1
                // the odd ones; pair p the columns 8·chunk + 2p + half, in bits 2p and 2p + 1 of each row's byte
                for (int chunk = 0; chunk < 2; chunk++) {
                    for (int half = 0; half < 2; half++) {
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
                            ShortVector x = ShortVector.fromArray(S, spread,
                                    (col + 8 * chunk + 2 * pair + half) * ROWS);
                            acc0 = acc0.add(v0.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3).mul(x));
                            acc1 = acc1.add(v1.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3).mul(x));
                            acc2 = acc2.add(v2.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3).mul(x));
                            acc3 = acc3.add(v3.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3).mul(x));
                        }
                    }
                }
                acc0.intoArray(sums, 0);
                acc1.intoArray(sums, ROWS);
                acc2.intoArray(sums, 2 * ROWS);
                acc3.intoArray(sums, 3 * ROWS);
                FloatVector d = FloatVector.broadcast(F, dx[col / BLOCK]);
                for (int i = 0; i < count; i++) {
                    ShortVector c = ShortVector.fromArray(S, sums, i * ROWS);
                    long sc = at + i * next + (long) k * ROWS;
                    int o = SCALED + i * ROWS;
                    ((FloatVector) c.convertShape(VectorOperators.S2F, F, 0))
                            .mul((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                                    .convertShape(VectorOperators.B2I, I, 0)).and(0x0F)
                                    .convert(VectorOperators.I2F, 0))
                            .fma(d, FloatVector.fromArray(F, floats, o)).intoArray(floats, o);
                    ((FloatVector) c.convertShape(VectorOperators.S2F, F, 1))
                            .mul((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                                    .convertShape(VectorOperators.B2I, I, 0)).and(0x0F)
                                    .convert(VectorOperators.I2F, 0))
                            .fma(d, FloatVector.fromArray(F, floats, o + L)).intoArray(floats, o + L);
                }
            }
            for (int i = 0; i < count; i++) {
                long mn = at + i * next;
                FloatVector low = FloatVector.zero(F);
                FloatVector high = low;
                for (int k = 0; k < SUBS; k++) {
                    int col = sb * SUBS * SUB + k * SUB;
                    FloatVector dsum = FloatVector.broadcast(F, dx[col / BLOCK] * halfSums[col / SUB]);
                    low = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, mn + k * ROWS, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4).and(0x0F)
                            .convert(VectorOperators.I2F, 0)).fma(dsum, low);
                    high = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, mn + k * ROWS + L, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4).and(0x0F)
                            .convert(VectorOperators.I2F, 0)).fma(dsum, high);
                }
                int e = i * scaleStride + 2 * sb * ROWS;
                int o = i * ROWS;
                FloatVector.fromArray(F, ds, e + ROWS).neg().fma(low, FloatVector.fromArray(F, ds, e)
                                .fma(FloatVector.fromArray(F, floats, SCALED + o), FloatVector.fromArray(F, floats, o)))
                        .intoArray(floats, o);
                FloatVector.fromArray(F, ds, e + ROWS + L).neg().fma(high, FloatVector.fromArray(F, ds, e + L)
                                .fma(FloatVector.fromArray(F, floats, SCALED + o + L),
                                        FloatVector.fromArray(F, floats, o + L)))
                        .intoArray(floats, o + L);
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
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * SUPER_BYTES, 8 * ROWS, 0xFF);
        InterleavedQ2_K m = new InterleavedQ2_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[8 * ROWS];
        Buffers buffers = new Buffers();
        InterleavedMatrix.warmUntilCompiled(
                i -> fourGroups(m, 0, 4, qx.spread, qx.scales, qx.halfSums, m.scalesAsFloats(0, 8, ds), y, 0,
                        buffers.sums, buffers.floats),
                data[0].byteSize(), 2_000);
    }
}
