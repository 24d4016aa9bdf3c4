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
 * {@link Q6KTokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same interleaved copies and the
 * same integer sums, bit-identical with the scalar twin. Each 32-byte load of the wide kernel (16 rows' even columns,
 * then their odd ones) is one 32-byte load here, whose codes are rebuilt in 256-bit bytes (masks, or, 32-bit shifts)
 * and whose halves are widened to 16 shorts each, one column of 16 rows. Each 16 columns' even columns and
 * odd ones go into 16-lane short accumulators of their own: so a lane adds eight products into each, as a lane of the
 * wide kernel does, and the same argument keeps it exact: the unsigned sum of code·qx may wrap,
 * but Σ(code − 32)·qx over eight columns lies within ±8·32·127 &lt; 2¹⁵, so taking 32·Σqx of those columns
 * ({@link SpreadToken#sixBitOffsets}) off in 16 bits leaves it exact. One accumulator for both halves would add 16
 * products, up to 16·32·127 &gt; 2¹⁵, and could not be set right. The two exact halves are added in 32 bits, and each
 * 16 columns' sums scaled as floats (rows 0–7 and 8–15 apart) in the wide kernel's order.
 *
 * <p>A run's groups go two at a time, as {@link Q4KTokenKernel256}'s do, sharing each activation load, with the
 * scaled sums and totals in registers: one group at a time per super-block, the activations loaded again for each and
 * the totals kept in y, read 2–5 GB/s of codes at one thread, this 5–6.5; four groups written out would take C1's
 * profiling tier past its virtual registers.
 */
final class Q6KTokenKernel256 {
    private static final int ROWS = InterleavedQ6_K.ROWS;
    private static final int BLOCK = 32;
    private static final int BLOCKS = 8;
    /** Steps of eight columns per super-block. */
    private static final int STEPS = BLOCKS * 4;
    private static final int BLOCKS_AT = InterleavedQ6_K.BLOCKS_AT;
    private static final int BLOCK_BYTES = InterleavedQ6_K.BLOCK_BYTES;
    private static final int HIGHS_AT = InterleavedQ6_K.HIGHS_AT;
    private static final int SUPER_BYTES = InterleavedQ6_K.SUPER_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Each byte's low nibble, and the bits 4–5 where a code's high pair goes. */
    private static final int NIBBLES = 0x0F0F0F0F;
    private static final int PAIRS = 0x30303030;
    private static boolean warm;

    private Q6KTokenKernel256() {
    }

    /**
     * Groups g, g + step, … (count 1 to 4) of m against the quantized token ({@link InterleavedMatrix#groups}), two
     * at a time; a lone last group runs paired with itself and keeps one result.
     */
    static void groups(InterleavedQ6_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        int step = m.runStep;
        for (int k = 0; k < count; k += 2) {
            int other = k + 1 < count ? k + 1 : k;
            twoGroups(m, g + k * step, g + other * step, k, other, qx.spread, qx.scales, qx.sixBitOffsets, ds, y,
                    yOffset, other != k);
        }
    }

    /**
     * Groups a and b (the run's k-th and l-th, whose d sit at k·supers·16 and l·supers·16 of ds) against the
     * quantized token, sharing each load of the spread activations; b's result is stored when {@code storeB}. One
     * flat loop over the row's steps of eight columns, as {@link Q4TokenKernel256}'s: each step's 32 bytes of nibbles
     * and of high pairs are rebuilt in 256-bit bytes for both halves at once, the even columns (bytes 0–15) widened
     * into one accumulator and the odd ones (16–31) into another; every second step ends a sub-block, every 32nd a
     * super-block. Nested loops (sub-blocks, then steps) read about 10% fewer GB/s. Written out in one method: a
     * vector op C2 does not inline is boxed.
     */
    private static void twoGroups(InterleavedQ6_K m, int a, int b, int k, int l, short[] spread, float[] dx,
                                  short[] offsets, float[] ds, float[] y, int yOffset, boolean storeB) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        int dA = k * supers * ROWS;
        int dB = l * supers * ROWS;
        long startA = (long) a * supers * SUPER_BYTES;
        long nB = ((long) b - a) * supers * SUPER_BYTES;
        FloatVector totalA0 = FloatVector.zero(F);
        FloatVector totalA1 = totalA0;
        FloatVector totalB0 = totalA0;
        FloatVector totalB1 = totalA0;
        FloatVector scaledA0 = totalA0;
        FloatVector scaledA1 = totalA0;
        FloatVector scaledB0 = totalA0;
        FloatVector scaledB1 = totalA0;
        ShortVector zero = ShortVector.zero(S);
        ShortVector evenA = zero;
        ShortVector oddA = zero;
        ShortVector evenB = zero;
        ShortVector oddB = zero;
        int steps = supers * STEPS;
        for (int t = 0; t < steps; t++) {
            // step t: columns 8t to 8t + 7 of the row, step t % 4 of block t / 4 % 8 of super-block t / 32; the
            // even columns 8t, + 2, + 4, + 6 in bytes 0–15 of its codes, the odd ones in bytes 16–31
            long at = startA + (long) (t >> 5) * SUPER_BYTES;
            long block = at + BLOCKS_AT + ((t >> 2) & (BLOCKS - 1)) * BLOCK_BYTES;
            long vp = block + (t & 3) * 4 * ROWS;
            long hp = block + HIGHS_AT + (t & 3) * 2 * ROWS;
            int xc = t * 8 * ROWS;
            ShortVector xe0 = ShortVector.fromArray(S, spread, xc);
            ShortVector xo0 = ShortVector.fromArray(S, spread, xc + ROWS);
            ShortVector xe1 = ShortVector.fromArray(S, spread, xc + 2 * ROWS);
            ShortVector xo1 = ShortVector.fromArray(S, spread, xc + 3 * ROWS);
            ShortVector xe2 = ShortVector.fromArray(S, spread, xc + 4 * ROWS);
            ShortVector xo2 = ShortVector.fromArray(S, spread, xc + 5 * ROWS);
            ShortVector xe3 = ShortVector.fromArray(S, spread, xc + 6 * ROWS);
            ShortVector xo3 = ShortVector.fromArray(S, spread, xc + 7 * ROWS);
            IntVector h;
            IntVector v;
            IntVector u;
            ByteVector c;
            h = IntVector.fromMemorySegment(I, codes, hp, LE);
            v = IntVector.fromMemorySegment(I, codes, vp, LE);
            u = IntVector.fromMemorySegment(I, codes, vp + 2 * ROWS, LE);
            c = v.and(NIBBLES).or(h.and(PAIRS)).reinterpretAsBytes();
            evenA = evenA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe0));
            oddA = oddA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo0));
            c = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES)
                    .or(h.lanewise(VectorOperators.LSHR, 2).and(PAIRS)).reinterpretAsBytes();
            evenA = evenA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe1));
            oddA = oddA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo1));
            c = u.and(NIBBLES).or(h.lanewise(VectorOperators.LSHL, 4).and(PAIRS)).reinterpretAsBytes();
            evenA = evenA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe2));
            oddA = oddA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo2));
            c = u.lanewise(VectorOperators.LSHR, 4).and(NIBBLES)
                    .or(h.lanewise(VectorOperators.LSHL, 2).and(PAIRS)).reinterpretAsBytes();
            evenA = evenA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe3));
            oddA = oddA.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo3));
            h = IntVector.fromMemorySegment(I, codes, hp + nB, LE);
            v = IntVector.fromMemorySegment(I, codes, vp + nB, LE);
            u = IntVector.fromMemorySegment(I, codes, vp + nB + 2 * ROWS, LE);
            c = v.and(NIBBLES).or(h.and(PAIRS)).reinterpretAsBytes();
            evenB = evenB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe0));
            oddB = oddB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo0));
            c = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES)
                    .or(h.lanewise(VectorOperators.LSHR, 2).and(PAIRS)).reinterpretAsBytes();
            evenB = evenB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe1));
            oddB = oddB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo1));
            c = u.and(NIBBLES).or(h.lanewise(VectorOperators.LSHL, 4).and(PAIRS)).reinterpretAsBytes();
            evenB = evenB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe2));
            oddB = oddB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo2));
            c = u.lanewise(VectorOperators.LSHR, 4).and(NIBBLES)
                    .or(h.lanewise(VectorOperators.LSHL, 2).and(PAIRS)).reinterpretAsBytes();
            evenB = evenB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 0)).mul(xe3));
            oddB = oddB.add(((ShortVector) c.convertShape(VectorOperators.B2S, S, 1)).mul(xo3));
            if ((t & 1) == 1) {
                // the end of sub-block t / 2: each sum exact after its offset, the two added in 32 bits
                int o = (t >> 1) * 2 * ROWS;
                ShortVector evenOffset = ShortVector.fromArray(S, offsets, o);
                ShortVector oddOffset = ShortVector.fromArray(S, offsets, o + ROWS);
                FloatVector d = FloatVector.broadcast(F, dx[t >> 2]);
                long sc = at + ((t >> 1) & 15) * ROWS;
                ShortVector e = evenA.sub(evenOffset);
                ShortVector f = oddA.sub(oddOffset);
                scaledA0 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 0))
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledA0);
                scaledA1 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 1))
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledA1);
                e = evenB.sub(evenOffset);
                f = oddB.sub(oddOffset);
                scaledB0 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 0))
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + nB, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledB0);
                scaledB1 = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                        .add((IntVector) f.convertShape(VectorOperators.S2I, I, 1))
                        .convert(VectorOperators.I2F, 0))
                        .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + nB + L, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledB1);
                evenA = zero;
                oddA = zero;
                evenB = zero;
                oddB = zero;
                if ((t & (STEPS - 1)) == STEPS - 1) {
                    int ds0 = (t >> 5) * ROWS;
                    totalA0 = FloatVector.fromArray(F, ds, dA + ds0).fma(scaledA0, totalA0);
                    totalA1 = FloatVector.fromArray(F, ds, dA + ds0 + L).fma(scaledA1, totalA1);
                    totalB0 = FloatVector.fromArray(F, ds, dB + ds0).fma(scaledB0, totalB0);
                    totalB1 = FloatVector.fromArray(F, ds, dB + ds0 + L).fma(scaledB1, totalB1);
                    scaledA0 = FloatVector.zero(F);
                    scaledA1 = scaledA0;
                    scaledB0 = scaledA0;
                    scaledB1 = scaledA0;
                }
            }
        }
        totalA0.intoArray(y, yOffset + a * ROWS);
        totalA1.intoArray(y, yOffset + a * ROWS + L);
        if (storeB) {
            totalB0.intoArray(y, yOffset + b * ROWS);
            totalB1.intoArray(y, yOffset + b * ROWS + L);
        }
    }

    /** Compiles the kernel on its own before any product runs, once per JVM ({@link InterleavedMatrix#warmUp}). */
    static synchronized void warmUp() {
        if (warm) {
            return;
        }
        warm = true;
        int cols = BLOCKS * BLOCK;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * SUPER_BYTES, 4 * ROWS, 0x3F);
        InterleavedQ6_K m = new InterleavedQ6_K(4 * ROWS, cols, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(cols);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[4 * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> groups(m, 0, 4 - (i & 1), qx, m.scalesAsFloats(0, 4, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
