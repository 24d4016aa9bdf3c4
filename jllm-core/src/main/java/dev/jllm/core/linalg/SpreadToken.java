package dev.jllm.core.linalg;

import dev.jllm.core.quant.Rounding;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One token quantized as Q8_0 for the interleaved integer kernels, each code repeated over the 16 lanes its column
 * occupies in a widened column pair, with each block's sum of codes (for types whose codes carry an offset), and for
 * each 16 columns 32 times the sums of the even and of the odd columns' codes, spread over the 16 lanes each takes
 * ({@link Q6KTokenKernel}: the offset of 6-bit codes, taken off in 16-bit lanes), and the same per 32 columns
 * with 16 ({@link Q5TokenKernel}).
 *
 * <p>Quantizing runs on the caller before the workers start, once per product of one token: it is written in
 * vectors (a 896-wide token took 12 µs in scalar code, 2.6 µs so; a product of Qwen2.5-0.5B's 896×896 matrices takes
 * about 25 µs).
 * The codes and scales are bit-identical with GGML's Q8_0 quantizer ({@code QuantizedActivations}).
 */
final class SpreadToken {
    private static final int ROWS = InterleavedQ8_0.ROWS;
    private static final int BLOCK = 32;
    // 512-bit vectors where the machine has them, else 256-bit ones (AVX2), a block in two or four parts
    private static final boolean WIDE = FloatVector.SPECIES_PREFERRED.length() >= 16;
    private static final VectorSpecies<Float> F = WIDE ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = WIDE ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = WIDE ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    private static final int L = F.length();
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    /** Each block's scale, rounded through F16 as GGML stores it. */
    float[] scales = new float[0];
    /** The int8 codes, column by column. */
    byte[] qs = new byte[0];
    short[] spread = new short[0];
    int[] blockSums = new int[0];
    /**
     * Each 16 columns' sum of codes ({@link Q3KTokenKernel}: the −4 offset of 3-bit codes, per scale;
     * {@link Q2KTokenKernel}: the mins).
     */
    int[] halfSums = new int[0];
    short[] sixBitOffsets = new short[0];
    short[] fiveBitOffsets = new short[0];

    /**
     * Quantizes {@code x[xOffset .. xOffset + cols)} (cols a multiple of 32) into these buffers, replacing what they
     * held.
     */
    SpreadToken quantize(float[] x, int xOffset, int cols) {
        if (qs.length < cols) {
            scales = new float[cols / BLOCK];
            qs = new byte[cols];
            spread = new short[cols * ROWS];
            blockSums = new int[cols / BLOCK];
            halfSums = new int[cols / 16];
            sixBitOffsets = new short[cols / 16 * 2 * ROWS];
            fiveBitOffsets = new short[cols / BLOCK * 2 * ROWS];
        }
        for (int b = 0; b < cols / BLOCK; b++) {
            int at = xOffset + b * BLOCK;
            FloatVector peak = FloatVector.fromArray(F, x, at).abs();
            for (int p = L; p < BLOCK; p += L) {
                peak = peak.max(FloatVector.fromArray(F, x, at + p).abs());
            }
            float amax = peak.reduceLanes(VectorOperators.MAX);
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            scales[b] = Rounding.toHalfAndBack(d);
            IntVector sum = IntVector.zero(I);
            for (int p = 0; p < BLOCK; p += L) {
                IntVector q = roundHalfAway(FloatVector.fromArray(F, x, at + p).mul(id));
                ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoArray(qs, b * BLOCK + p);
                sum = sum.add(q);
            }
            blockSums[b] = sum.reduceLanes(VectorOperators.ADD);
            int even0 = 0;
            int odd0 = 0;
            int even1 = 0;
            int odd1 = 0;
            for (int c = 0; c < 16; c += 2) {
                even0 += qs[b * BLOCK + c];
                odd0 += qs[b * BLOCK + c + 1];
                even1 += qs[b * BLOCK + 16 + c];
                odd1 += qs[b * BLOCK + 16 + c + 1];
            }
            halfSums[2 * b] = even0 + odd0;
            halfSums[2 * b + 1] = even1 + odd1;
            int six = 2 * b * 2 * ROWS;
            ShortVector.broadcast(S, (short) (32 * even0)).intoArray(sixBitOffsets, six);
            ShortVector.broadcast(S, (short) (32 * odd0)).intoArray(sixBitOffsets, six + ROWS);
            ShortVector.broadcast(S, (short) (32 * even1)).intoArray(sixBitOffsets, six + 2 * ROWS);
            ShortVector.broadcast(S, (short) (32 * odd1)).intoArray(sixBitOffsets, six + 3 * ROWS);
            ShortVector.broadcast(S, (short) (16 * (even0 + even1))).intoArray(fiveBitOffsets, b * 2 * ROWS);
            ShortVector.broadcast(S, (short) (16 * (odd0 + odd1))).intoArray(fiveBitOffsets, b * 2 * ROWS + ROWS);
            for (int c = b * BLOCK; c < (b + 1) * BLOCK; c++) {
                ShortVector.broadcast(S, qs[c]).intoArray(spread, c * ROWS);
            }
        }
        return this;
    }

    /**
     * {@link Rounding#roundHalfAway} in lanes, exactly: the truncated magnitude, plus one where the part cut off is
     * at least a half (both exact in floats below 2²³; |v| ≤ 127 here), with v's sign.
     */
    private static IntVector roundHalfAway(FloatVector v) {
        FloatVector a = v.abs();
        IntVector whole = (IntVector) a.convert(VectorOperators.F2I, 0);
        FloatVector cut = a.sub((FloatVector) whole.convert(VectorOperators.I2F, 0));
        IntVector magnitude = whole.add(1, cut.compare(VectorOperators.GE, 0.5f).cast(I));
        VectorMask<Integer> negative = v.compare(VectorOperators.LT, 0f).cast(I);
        return magnitude.lanewise(VectorOperators.NEG, negative);
    }
}
