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
 * then their odd ones) is two 16-byte loads here, the even half and the odd half, whose codes are rebuilt in 128-bit
 * bytes (masks, or, 32-bit shifts) and widened to 16 shorts, one column of 16 rows. Each 16 columns run as two passes,
 * the even columns, then the odd ones, each into its own 16-lane short accumulator: so a lane adds eight products per
 * pass, as a lane of the wide kernel does, and the same argument keeps it exact: the unsigned sum of code·qx may wrap,
 * but Σ(code − 32)·qx over eight columns lies within ±8·32·127 &lt; 2¹⁵, so taking 32·Σqx of those columns
 * ({@link SpreadToken#sixBitOffsets}) off in 16 bits leaves it exact. One accumulator for both passes would add 16
 * products, up to 16·32·127 &gt; 2¹⁵, and could not be set right. The two exact halves are added in 32 bits, and each
 * 16 columns' sums scaled as floats (rows 0–7 and 8–15 apart) in the wide kernel's order.
 */
final class Q6KTokenKernel256 {
    private static final int ROWS = InterleavedQ6_K.ROWS;
    private static final int BLOCK = 32;
    private static final int BLOCKS = 8;
    private static final int BLOCKS_AT = InterleavedQ6_K.BLOCKS_AT;
    private static final int BLOCK_BYTES = InterleavedQ6_K.BLOCK_BYTES;
    private static final int HIGHS_AT = InterleavedQ6_K.HIGHS_AT;
    private static final int SUPER_BYTES = InterleavedQ6_K.SUPER_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static boolean warm;

    private Q6KTokenKernel256() {
    }

    /** Groups g, g + step, … of m against the quantized token ({@link InterleavedMatrix#groups}). */
    static void groups(InterleavedQ6_K m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        fourGroups(m, g, count, qx.spread, qx.scales, qx.sixBitOffsets, ds, y, yOffset);
    }

    /**
     * Groups g, g + step, … (count 1 to 4): per super-block, each group in turn, so that the four streams of codes
     * move on together while the super-block's activations (8 KB) stay in the L1 cache. Written once, not once per
     * group as the wide kernel is: four copies took C1 past its virtual registers (its profiling compile gave up,
     * and the method stayed in C1's first code), and AVX2's 16 registers could not hold four groups' accumulators
     * and shared activations anyway. Each super-block's total goes into y (zeroed first) and is read back for the
     * next. Written out in one method: a vector op C2 does not inline is boxed.
     */
    private static void fourGroups(InterleavedQ6_K m, int g, int count, short[] spread, float[] dx, short[] offsets,
                                   float[] ds, float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        int supers = m.supers;
        int step = m.runStep;
        long next = (long) step * supers * SUPER_BYTES;
        FloatVector zero = FloatVector.zero(F);
        for (int j = 0; j < count; j++) {
            int r = yOffset + (g + j * step) * ROWS;
            zero.intoArray(y, r);
            zero.intoArray(y, r + L);
        }
        for (int sb = 0; sb < supers; sb++) {
            for (int j = 0; j < count; j++) {
                long at = (long) (g * supers + sb) * SUPER_BYTES + j * next;
                FloatVector scaledLow = zero;
                FloatVector scaledHigh = zero;
                for (int b = 0; b < BLOCKS; b++) {
                    int gb = sb * BLOCKS + b;
                    long block = at + BLOCKS_AT + b * BLOCK_BYTES;
                    FloatVector d = FloatVector.broadcast(F, dx[gb]);
                    for (int half = 0; half < 2; half++) {
                        ShortVector even = ShortVector.zero(S);
                        ShortVector acc = even;
                        for (int odd = 0; odd < 2; odd++) {
                            acc = ShortVector.zero(S);
                            for (int p = 2 * half; p < 2 * half + 2; p++) {
                                // columns 8p + odd, + 2, + 4, + 6: nibbles of v (low, high), then of u; pairs of h
                                int xc = (gb * BLOCK + 8 * p + odd) * ROWS;
                                long vp = block + p * 4 * ROWS + odd * ROWS;
                                ByteVector h = ByteVector.fromMemorySegment(B16, codes,
                                        block + HIGHS_AT + p * 2 * ROWS + odd * ROWS, LE);
                                ByteVector v = ByteVector.fromMemorySegment(B16, codes, vp, LE);
                                ByteVector u = ByteVector.fromMemorySegment(B16, codes, vp + 2 * ROWS, LE);
                                ByteVector k = h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4)
                                        .reinterpretAsBytes();
                                acc = acc.add(((ShortVector) v.and((byte) 0x0F).or(h.and((byte) 0x30))
                                                .convertShape(VectorOperators.B2S, S, 0))
                                                .mul(ShortVector.fromArray(S, spread, xc)))
                                        .add(((ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                                .reinterpretAsBytes().and((byte) 0x0F)
                                                .or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                        .reinterpretAsBytes().and((byte) 0x30))
                                                .convertShape(VectorOperators.B2S, S, 0))
                                                .mul(ShortVector.fromArray(S, spread, xc + 2 * ROWS)))
                                        .add(((ShortVector) u.and((byte) 0x0F).or(k.and((byte) 0x30))
                                                .convertShape(VectorOperators.B2S, S, 0))
                                                .mul(ShortVector.fromArray(S, spread, xc + 4 * ROWS)))
                                        .add(((ShortVector) u.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4)
                                                .reinterpretAsBytes().and((byte) 0x0F)
                                                .or(k.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                                        .reinterpretAsBytes().and((byte) 0x30))
                                                .convertShape(VectorOperators.B2S, S, 0))
                                                .mul(ShortVector.fromArray(S, spread, xc + 6 * ROWS)));
                            }
                            if (odd == 0) {
                                even = acc;
                            }
                        }
                        // each pass exact after its offset; the two added in 32 bits, rows 0–7 and 8–15 apart
                        int sub = 2 * b + half;
                        int o = (sb * 16 + sub) * 2 * ROWS;
                        ShortVector e = even.sub(ShortVector.fromArray(S, offsets, o));
                        ShortVector f = acc.sub(ShortVector.fromArray(S, offsets, o + ROWS));
                        long sc = at + sub * ROWS;
                        scaledLow = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 0))
                                .add((IntVector) f.convertShape(VectorOperators.S2I, I, 0))
                                .convert(VectorOperators.I2F, 0))
                                .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc, LE)
                                        .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledLow);
                        scaledHigh = ((FloatVector) ((IntVector) e.convertShape(VectorOperators.S2I, I, 1))
                                .add((IntVector) f.convertShape(VectorOperators.S2I, I, 1))
                                .convert(VectorOperators.I2F, 0))
                                .mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, sc + L, LE)
                                        .convertShape(VectorOperators.B2F, F, 0)).fma(d, scaledHigh);
                    }
                }
                int r = yOffset + (g + j * step) * ROWS;
                int dj = (j * supers + sb) * ROWS;
                FloatVector.fromArray(F, ds, dj).fma(scaledLow, FloatVector.fromArray(F, y, r)).intoArray(y, r);
                FloatVector.fromArray(F, ds, dj + L).fma(scaledHigh, FloatVector.fromArray(F, y, r + L))
                        .intoArray(y, r + L);
            }
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
                i -> fourGroups(m, 0, 4, qx.spread, qx.scales, qx.sixBitOffsets, m.scalesAsFloats(0, 4, ds), y, 0),
                data[0].byteSize(), 2_000);
    }
}
