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
 * {@link Q2KTokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same interleaved copies and the
 * same integer sums, bit-identical with the scalar twin. Each chunk's 32 bytes are two 16-byte halves, the even
 * columns' 16 rows and the odd ones', each widened to 16 shorts by one load; a 16-bit shift and a mask then give a
 * column's two-bit codes, which multiply the column's spread activations. One 16-lane short accumulator per group
 * adds all 16 columns of a sub-block, where the 512-bit kernel's lanes add 8: the sum stays exact, as
 * {@code |Σcode·qx| ≤ 16·3·127 = 6096 < 2¹⁵} (codes 0–3, x's codes in [−127, 127]), and is the exact Σcode·qx that
 * the 512-bit kernel and the scalar twin scale. No byte shifts, which AVX2 lacks: the codes are taken in 16-bit lanes
 * after widening (one widening load per half, where one 32-byte load would need a shuffle per column pair), the 4-bit
 * scales and mins in 32-bit ones.
 *
 * <p>A run's groups go two at a time, as {@link Q6KTokenKernel256}'s do, sharing each activation load, with the
 * scaled sums, mins and totals in registers (rows 0–7 and 8–15 as two 8-float vectors each). Two groups' codes, one
 * mask and the shared activations fit AVX2's 16 registers here, where {@link Q3KTokenKernel256}'s high bits do not:
 * one group at a time read about 7% fewer GB/s.
 */
final class Q2KTokenKernel256 {
    private static final int ROWS = InterleavedQ2_K.ROWS;
    private static final int SUB = InterleavedQ2_K.SUB;
    private static final int SUBS = InterleavedQ2_K.SUBS;
    private static final int SUBS_AT = InterleavedQ2_K.SUBS_AT;
    private static final int SUB_BYTES = InterleavedQ2_K.SUB_BYTES;
    private static final int CHUNK_BYTES = InterleavedQ2_K.CHUNK_BYTES;
    private static final int SUPER_BYTES = InterleavedQ2_K.SUPER_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * Each short's low bit pair: the codes are shifted in 32-bit lanes, whose shifts C2 encodes with an immediate
     * (16-bit ones take the count from a register, two more instructions each); bits the shift brings down from the
     * upper short land above the mask.
     */
    private static final int PAIRS = 0x00030003;
    private static boolean warm;

    private Q2KTokenKernel256() {
    }

    /**
     * Groups g, g + step, … (count 1 to 4) of m against the quantized token ({@link InterleavedMatrix#groups}), two
     * at a time; a lone last group runs paired with itself and keeps one result. {@code ds} holds each group's d then
     * dmin per super-block, 16 rows each.
     */
    static void groups(InterleavedQ2_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        int step = m.runStep;
        for (int k = 0; k < count; k += 2) {
            int other = k + 1 < count ? k + 1 : k;
            twoGroups(m, g + k * step, g + other * step, k, other, qx.spread, qx.scales, qx.halfSums, ds, y,
                    yOffset, other != k);
        }
    }

    /**
     * Groups a and b (the run's k-th and l-th, whose d and dmin sit at k·supers·32 and l·supers·32 of ds) against the
     * quantized token, sharing each load of the spread activations; b's result is stored when {@code storeB}. Per
     * super-block, a loop over its sub-blocks whose offsets are linear in the sub-block (so that C2 checks bounds once
     * per super-block): {@code scaled = (Σcode·qx · scale)·dx + scaled}; then a second one for the mins,
     * {@code mins = min·(dx·Σqx) + mins}, which would crowd the first's registers; then
     * {@code total = d·scaled + total} and {@code total = −dmin·mins + total}, as the scalar twin adds them. Written
     * out in one method: a vector op C2 does not inline is boxed.
     */
    private static void twoGroups(InterleavedQ2_K m, int a, int b, int k, int l, short[] spread, float[] dx,
                                  int[] halfSums, float[] ds, float[] y, int yOffset, boolean storeB) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        int dA = k * 2 * supers * ROWS;
        int dB = l * 2 * supers * ROWS;
        long startA = (long) a * supers * SUPER_BYTES;
        long nB = ((long) b - a) * supers * SUPER_BYTES;
        FloatVector totalA0 = FloatVector.zero(F);
        FloatVector totalA1 = totalA0;
        FloatVector totalB0 = totalA0;
        FloatVector totalB1 = totalA0;
        for (int sb = 0; sb < supers; sb++) {
            long at = startA + (long) sb * SUPER_BYTES;
            int xs = sb * SUBS * SUB * ROWS;
            int blocks = sb * SUBS / 2;
            FloatVector scaledA0 = FloatVector.zero(F);
            FloatVector scaledA1 = scaledA0;
            FloatVector scaledB0 = scaledA0;
            FloatVector scaledB1 = scaledA0;
            for (int s = 0; s < SUBS; s++) {
                long sub = at + SUBS_AT + (long) s * SUB_BYTES;
                int xc = xs + s * SUB * ROWS;
                ShortVector accA = ShortVector.zero(S);
                ShortVector accB = accA;
                // loops, which C2 unrolls: chunk 0 is columns 0–7, chunk 1 8–15; half 0 their even columns, half 1
                // the odd ones; pair p the columns 8·chunk + 2p + half, in bits 2p and 2p + 1 of each row's byte
                for (int chunk = 0; chunk < 2; chunk++) {
                    for (int half = 0; half < 2; half++) {
                        long lows = sub + chunk * CHUNK_BYTES + half * ROWS;
                        IntVector vA = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, lows, LE)
                                .convertShape(VectorOperators.B2S, S, 0)).reinterpretAsInts();
                        IntVector vB = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, lows + nB, LE)
                                .convertShape(VectorOperators.B2S, S, 0)).reinterpretAsInts();
                        for (int pair = 0; pair < 4; pair++) {
                            ShortVector x = ShortVector.fromArray(S, spread,
                                    xc + (8 * chunk + 2 * pair + half) * ROWS);
                            accA = accA.add(vA.lanewise(VectorOperators.LSHR, 2 * pair).and(PAIRS)
                                    .reinterpretAsShorts().mul(x));
                            accB = accB.add(vB.lanewise(VectorOperators.LSHR, 2 * pair).and(PAIRS)
                                    .reinterpretAsShorts().mul(x));
                        }
                    }
                }
                FloatVector d = FloatVector.broadcast(F, dx[blocks + (s >> 1)]);
                long sc = at + (long) s * ROWS;
                scaledA0 = ((FloatVector) accA.convertShape(VectorOperators.S2F, F, 0))
                        .mul((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                                .convertShape(VectorOperators.B2I, I, 0)).and(0x0F).convert(VectorOperators.I2F, 0))
                        .fma(d, scaledA0);
                scaledA1 = ((FloatVector) accA.convertShape(VectorOperators.S2F, F, 1))
                        .mul((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                                .convertShape(VectorOperators.B2I, I, 0)).and(0x0F).convert(VectorOperators.I2F, 0))
                        .fma(d, scaledA1);
                scaledB0 = ((FloatVector) accB.convertShape(VectorOperators.S2F, F, 0))
                        .mul((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc + nB, LE)
                                .convertShape(VectorOperators.B2I, I, 0)).and(0x0F).convert(VectorOperators.I2F, 0))
                        .fma(d, scaledB0);
                scaledB1 = ((FloatVector) accB.convertShape(VectorOperators.S2F, F, 1))
                        .mul((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc + nB + L, LE)
                                .convertShape(VectorOperators.B2I, I, 0)).and(0x0F).convert(VectorOperators.I2F, 0))
                        .fma(d, scaledB1);
            }
            FloatVector minsA0 = FloatVector.zero(F);
            FloatVector minsA1 = minsA0;
            FloatVector minsB0 = minsA0;
            FloatVector minsB1 = minsA0;
            for (int s = 0; s < SUBS; s++) {
                FloatVector dsum = FloatVector.broadcast(F, dx[blocks + (s >> 1)] * halfSums[sb * SUBS + s]);
                long sc = at + (long) s * ROWS;
                minsA0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                        .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4).and(0x0F)
                        .convert(VectorOperators.I2F, 0)).fma(dsum, minsA0);
                minsA1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                        .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4).and(0x0F)
                        .convert(VectorOperators.I2F, 0)).fma(dsum, minsA1);
                minsB0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc + nB, LE)
                        .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4).and(0x0F)
                        .convert(VectorOperators.I2F, 0)).fma(dsum, minsB0);
                minsB1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, codes, sc + nB + L, LE)
                        .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4).and(0x0F)
                        .convert(VectorOperators.I2F, 0)).fma(dsum, minsB1);
            }
            int e = 2 * sb * ROWS;
            totalA0 = FloatVector.fromArray(F, ds, dA + e + ROWS).neg().fma(minsA0,
                    FloatVector.fromArray(F, ds, dA + e).fma(scaledA0, totalA0));
            totalA1 = FloatVector.fromArray(F, ds, dA + e + ROWS + L).neg().fma(minsA1,
                    FloatVector.fromArray(F, ds, dA + e + L).fma(scaledA1, totalA1));
            totalB0 = FloatVector.fromArray(F, ds, dB + e + ROWS).neg().fma(minsB0,
                    FloatVector.fromArray(F, ds, dB + e).fma(scaledB0, totalB0));
            totalB1 = FloatVector.fromArray(F, ds, dB + e + ROWS + L).neg().fma(minsB1,
                    FloatVector.fromArray(F, ds, dB + e + L).fma(scaledB1, totalB1));
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
        int cols = SUBS * SUB;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * SUPER_BYTES, 8 * ROWS, 0xFF);
        InterleavedQ2_K m = new InterleavedQ2_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[8 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> groups(m, 0, 4 - (i & 1), qx, m.scalesAsFloats(0, 8, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
