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
 * {@link Q3KTokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same interleaved copies and the
 * same integer sums, bit-identical with the scalar twin. The sub-block's low bit pairs (two chunks) and its high bits
 * are each two 16-byte halves, the even columns' 16 rows and the odd ones', each widened to 16 shorts by one load; a
 * shift and a mask give a column's low bits, another its high bit (the half's high bits, shifted left by 2 once,
 * then right by the column's place), and the codes (0–7) multiply the column's spread activations. One 16-lane short
 * accumulator per group adds all 16 columns of a sub-block, where the 512-bit kernel's lanes add 8: the sum stays
 * exact, as {@code |Σcode·qx| ≤ 16·7·127 = 14224 < 2¹⁵} (x's codes in [−127, 127]). 4 times x's sum there
 * ({@link SpreadToken#halfSums}) comes off in 32 bits, as in the 512-bit kernel. No byte shifts, which AVX2 lacks:
 * the bits are taken after widening, in 32-bit lanes (see {@link #PAIRS}).
 *
 * <p>A run's groups go one at a time, with the scaled sums and totals in registers (rows 0–7 and 8–15 as two 8-float
 * vectors each) and each activation load folded into its multiply. Two groups at a time, sharing the activation loads
 * as {@link Q6KTokenKernel256}'s do, ran out of AVX2's 16 registers: C2 spilled, loaded the masks again before each
 * use and read about 20% fewer GB/s (27% more instructions per code).
 */
final class Q3KTokenKernel256 {
    private static final int ROWS = InterleavedQ3_K.ROWS;
    private static final int SUB = InterleavedQ3_K.SUB;
    private static final int SUBS = InterleavedQ3_K.SUBS;
    private static final int SUBS_AT = InterleavedQ3_K.SUBS_AT;
    private static final int SUB_BYTES = InterleavedQ3_K.SUB_BYTES;
    private static final int CHUNK_BYTES = InterleavedQ3_K.CHUNK_BYTES;
    private static final int HIGHS_AT = InterleavedQ3_K.HIGHS_AT;
    private static final int SUPER_BYTES = InterleavedQ3_K.SUPER_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * Each short's low bit pair: the widened codes are shifted in 32-bit lanes, whose shifts C2 encodes with an
     * immediate (16-bit ones take the count from a register, two more instructions each); bits a shift moves between
     * the two shorts land outside the masks.
     */
    private static final int PAIRS = 0x00030003;
    /** Each short's bit 2, where a code's high bit goes. */
    private static final int HIGHS = 0x00040004;
    private static boolean warm;

    private Q3KTokenKernel256() {
    }

    /**
     * Groups g, g + step, … (count 1 to 4) of m against the quantized token ({@link InterleavedMatrix#groups}), one
     * at a time; {@code ds} holds each group's d per super-block, 16 rows each.
     */
    static void groups(InterleavedQ3_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        int step = m.runStep;
        for (int k = 0; k < count; k++) {
            oneGroup(m, g + k * step, k, qx.spread, qx.scales, qx.halfSums, ds, y, yOffset);
        }
    }

    /**
     * Group a (the run's k-th, whose d sit at k·supers·16 of ds) against the quantized token. Per super-block, a loop
     * over its sub-blocks whose offsets are linear in the sub-block (so that C2 checks bounds once per super-block):
     * {@code scaled = ((Σcode·qx − 4·Σqx) · scale)·dx + scaled}; then {@code total = d·scaled + total}, as the scalar
     * twin adds them. Written out in one method: a vector op C2 does not inline is boxed.
     */
    private static void oneGroup(InterleavedQ3_K m, int a, int k, short[] spread, float[] dx, int[] halfSums,
                                 float[] ds, float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        int dk = k * supers * ROWS;
        long start = (long) a * supers * SUPER_BYTES;
        FloatVector total0 = FloatVector.zero(F);
        FloatVector total1 = total0;
        for (int sb = 0; sb < supers; sb++) {
            long at = start + (long) sb * SUPER_BYTES;
            int xs = sb * SUBS * SUB * ROWS;
            int blocks = sb * SUBS / 2;
            FloatVector scaled0 = FloatVector.zero(F);
            FloatVector scaled1 = scaled0;
            for (int s = 0; s < SUBS; s++) {
                long sub = at + SUBS_AT + (long) s * SUB_BYTES;
                int xc = xs + s * SUB * ROWS;
                ShortVector acc = ShortVector.zero(S);
                // loops, which C2 unrolls: half 0 is the even columns, half 1 the odd ones; chunk 0 columns 0–7,
                // chunk 1 8–15; pair p the column t = 8·chunk + 2p + half, its low bits in bits 2p and 2p + 1 of each
                // row's byte of the chunk, its high bit in bit t / 2 = 4·chunk + p of the row's byte of high bits
                for (int half = 0; half < 2; half++) {
                    long highs = sub + HIGHS_AT + half * ROWS;
                    IntVector h = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, highs, LE)
                            .convertShape(VectorOperators.B2S, S, 0)).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHL, 2);
                    for (int chunk = 0; chunk < 2; chunk++) {
                        long lows = sub + chunk * CHUNK_BYTES + half * ROWS;
                        IntVector v = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, lows, LE)
                                .convertShape(VectorOperators.B2S, S, 0)).reinterpretAsInts();
                        for (int pair = 0; pair < 4; pair++) {
                            int place = 4 * chunk + pair;
                            ShortVector x = ShortVector.fromArray(S, spread,
                                    xc + (8 * chunk + 2 * pair + half) * ROWS);
                            acc = acc.add(v.lanewise(VectorOperators.LSHR, 2 * pair).and(PAIRS)
                                    .or(h.lanewise(VectorOperators.LSHR, place).and(HIGHS))
                                    .reinterpretAsShorts().mul(x));
                        }
                    }
                }
                int offset = 4 * halfSums[sb * SUBS + s];
                FloatVector d = FloatVector.broadcast(F, dx[blocks + (s >> 1)]);
                long sc = at + (long) s * ROWS;
                scaled0 = ((FloatVector) ((IntVector) acc.convertShape(VectorOperators.S2I, I, 0)).sub(offset)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled0);
                scaled1 = ((FloatVector) ((IntVector) acc.convertShape(VectorOperators.S2I, I, 1)).sub(offset)
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaled1);
            }
            int e = sb * ROWS;
            total0 = FloatVector.fromArray(F, ds, dk + e).fma(scaled0, total0);
            total1 = FloatVector.fromArray(F, ds, dk + e + L).fma(scaled1, total1);
        }
        total0.intoArray(y, yOffset + a * ROWS);
        total1.intoArray(y, yOffset + a * ROWS + L);
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
        InterleavedMatrix.warmUntilCompiled(
                i -> groups(m, 0, 4 - (i & 1), qx, m.scalesAsFloats(0, 4, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
