package dev.jllm.core.linalg;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link TokenKernel} in 256-bit vectors, for machines whose widest are (AVX2): the same Q8_0 copies and the same
 * integer sums, bit-identical with the scalar twin. Each column's 16 rows are one 16-byte load widened to 16 shorts;
 * two columns' products add up in a lane (|q·qx| ≤ 127·127), and the biased pair sums split into 32-bit lanes by one
 * shift and two adds, as in the 512-bit kernel. A 32-bit lane then holds an even row in its low half and the next odd
 * row in its high half; each block's sums are put back in row order by two permutes and a blend per eight rows.
 */
final class TokenKernel256 {
    private static final int ROWS = InterleavedQ8_0.ROWS;
    private static final int BLOCK = DType.Q8_0.blockSize();
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    // a 16-bit bias that makes every two-column sum non-negative, so that the low halves never borrow
    private static final short BIAS = (short) 0x8000;
    private static final int STEPS = BLOCK / 4; // a power of two: the step loop takes a block's sums at each eighth
    /** Each row's sum carries the bias once per pair of columns. */
    private static final int BIASES = BLOCK / 2 * 32768;
    // rows 0–7 are the low and high halves of int lanes 0–3 in turn, rows 8–15 those of lanes 4–7
    private static final VectorShuffle<Integer> FIRST = VectorShuffle.fromValues(I, 0, 0, 1, 1, 2, 2, 3, 3);
    private static final VectorShuffle<Integer> SECOND = VectorShuffle.fromValues(I, 4, 4, 5, 5, 6, 6, 7, 7);
    private static final VectorMask<Integer> ODD = VectorMask.fromValues(I, false, true, false, true, false, true,
            false, true);
    private static boolean warm;

    private TokenKernel256() {
    }

    /**
     * Groups g, g + step, … (count 1 to 4; see {@link InterleavedMatrix#groups}) against the quantized token, sharing
     * each load of the spread activations ({@code ds}: their scales as floats, {@code blocks·16} per group). A group
     * past the count reads group g's codes again and keeps no result. Everything is written out in this one method:
     * a vector op C2 does not inline is boxed.
     */
    static void groups(InterleavedQ8_0 m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        MemorySegment codes = m.codes;
        short[] spread = qx.spread;
        float[] dx = qx.scales;
        int blocks = m.blocks;
        long next = (long) blocks * BLOCK * ROWS;
        int step = m.runStep;
        long n1 = count > 1 ? step * next : 0;
        long n2 = count > 2 ? 2 * step * next : 0;
        long n3 = count > 3 ? 3 * step * next : 0;
        int s1 = count > 1 ? blocks * ROWS : 0;
        int s2 = count > 2 ? 2 * blocks * ROWS : 0;
        int s3 = count > 3 ? 3 * blocks * ROWS : 0;
        long start = (long) g * blocks * BLOCK * ROWS;
        FloatVector low0 = FloatVector.zero(F);
        FloatVector high0 = low0;
        FloatVector low1 = low0;
        FloatVector high1 = low0;
        FloatVector low2 = low0;
        FloatVector high2 = low0;
        FloatVector low3 = low0;
        FloatVector high3 = low0;
        IntVector all0 = IntVector.zero(I);
        IntVector odd0 = all0;
        IntVector all1 = all0;
        IntVector odd1 = all0;
        IntVector all2 = all0;
        IntVector odd2 = all0;
        IntVector all3 = all0;
        IntVector odd3 = all0;
        int steps = blocks * STEPS;
        for (int s = 0; s < steps; s++) {
            for (int pair = 0; pair < 2; pair++) {
                // columns 4s + 2·pair and the next: one 16-byte load of 16 rows each, unrolled by C2
                long c = start + (long) (4 * s + 2 * pair) * ROWS;
                int xc = (4 * s + 2 * pair) * ROWS;
                ShortVector xa = ShortVector.fromArray(S, spread, xc);
                ShortVector xb = ShortVector.fromArray(S, spread, xc + ROWS);
                IntVector v0 = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, c, LE)
                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B16, codes, c + ROWS, LE)
                                .convertShape(VectorOperators.B2S, S, 0)).mul(xb)).add(BIAS).reinterpretAsInts();
                IntVector v1 = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, c + n1, LE)
                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B16, codes, c + n1 + ROWS, LE)
                                .convertShape(VectorOperators.B2S, S, 0)).mul(xb)).add(BIAS).reinterpretAsInts();
                IntVector v2 = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, c + n2, LE)
                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B16, codes, c + n2 + ROWS, LE)
                                .convertShape(VectorOperators.B2S, S, 0)).mul(xb)).add(BIAS).reinterpretAsInts();
                IntVector v3 = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, c + n3, LE)
                        .convertShape(VectorOperators.B2S, S, 0)).mul(xa)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B16, codes, c + n3 + ROWS, LE)
                                .convertShape(VectorOperators.B2S, S, 0)).mul(xb)).add(BIAS).reinterpretAsInts();
                all0 = all0.add(v0);
                odd0 = odd0.add(v0.lanewise(VectorOperators.LSHR, 16));
                all1 = all1.add(v1);
                odd1 = odd1.add(v1.lanewise(VectorOperators.LSHR, 16));
                all2 = all2.add(v2);
                odd2 = odd2.add(v2.lanewise(VectorOperators.LSHR, 16));
                all3 = all3.add(v3);
                odd3 = odd3.add(v3.lanewise(VectorOperators.LSHR, 16));
            }
            if ((s & (STEPS - 1)) == STEPS - 1) {
                int b = s / STEPS;
                float d = dx[b];
                int at = b * ROWS;
                // the even rows' sums are what the odd rows' leave of the lanes (modulo 2³²: exact)
                IntVector even0 = all0.sub(odd0.lanewise(VectorOperators.LSHL, 16));
                IntVector even1 = all1.sub(odd1.lanewise(VectorOperators.LSHL, 16));
                IntVector even2 = all2.sub(odd2.lanewise(VectorOperators.LSHL, 16));
                IntVector even3 = all3.sub(odd3.lanewise(VectorOperators.LSHL, 16));
                low0 = ((FloatVector) even0.rearrange(FIRST).blend(odd0.rearrange(FIRST), ODD).sub(BIASES)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, at).mul(d), low0);
                high0 = ((FloatVector) even0.rearrange(SECOND).blend(odd0.rearrange(SECOND), ODD).sub(BIASES)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, at + L).mul(d), high0);
                low1 = ((FloatVector) even1.rearrange(FIRST).blend(odd1.rearrange(FIRST), ODD).sub(BIASES)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, s1 + at).mul(d), low1);
                high1 = ((FloatVector) even1.rearrange(SECOND).blend(odd1.rearrange(SECOND), ODD).sub(BIASES)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, s1 + at + L).mul(d), high1);
                low2 = ((FloatVector) even2.rearrange(FIRST).blend(odd2.rearrange(FIRST), ODD).sub(BIASES)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, s2 + at).mul(d), low2);
                high2 = ((FloatVector) even2.rearrange(SECOND).blend(odd2.rearrange(SECOND), ODD).sub(BIASES)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, s2 + at + L).mul(d), high2);
                low3 = ((FloatVector) even3.rearrange(FIRST).blend(odd3.rearrange(FIRST), ODD).sub(BIASES)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, s3 + at).mul(d), low3);
                high3 = ((FloatVector) even3.rearrange(SECOND).blend(odd3.rearrange(SECOND), ODD).sub(BIASES)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ds, s3 + at + L).mul(d), high3);
                all0 = IntVector.zero(I);
                odd0 = all0;
                all1 = all0;
                odd1 = all0;
                all2 = all0;
                odd2 = all0;
                all3 = all0;
                odd3 = all0;
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

    /** Compiles the kernel on its own before any product runs, once per JVM ({@link TokenKernel#warmUp}). */
    static synchronized void warmUp() {
        if (warm) {
            return;
        }
        warm = true;
        int blocks = 4;
        MemorySegment[] data = InterleavedMatrix.warmUpData(4L * ROWS * BLOCK * blocks, 4 * ROWS * blocks, 0xFF);
        InterleavedQ8_0 m = new InterleavedQ8_0(4 * ROWS, blocks * BLOCK, data[0], data[1]);
        SpreadToken qx = InterleavedMatrix.warmUpToken(blocks * BLOCK);
        float[] y = new float[4 * ROWS];
        float[] ds = new float[4 * blocks * ROWS];
        InterleavedMatrix.warmUntilCompiled(
                i -> groups(m, 0, 4, qx, m.scalesAsFloats(0, 4 * blocks, ds), y, 0), data[0].byteSize(), 5_000);
    }
}
