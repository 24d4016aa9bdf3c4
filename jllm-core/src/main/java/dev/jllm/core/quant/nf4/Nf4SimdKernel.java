package dev.jllm.core.quant.nf4;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels of {@link DType#NF4}.
 *
 * <p>A step takes L code bytes (L = float lanes), widens them to int lanes, splits each into its
 * high nibble (even elements) and low nibble (odd elements), and looks both up in the 16 levels
 * held in a vector ({@code selectFrom}; two 8-lane halves when L is 8). The dot product then
 * splits the 2L activations into even and odd lanes instead of interleaving the weights.
 * Species whose lane count is not 8, 16 or 32 fall back to the scalar reference.
 */
public final class Nf4SimdKernel implements WeightKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int L = F.length();
    /** Whether this species can run the vector path. */
    static final boolean SUPPORTED = L == 8 || L == 16 || L == 32;
    private static final VectorSpecies<Byte> B = SUPPORTED
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** Levels 0 .. L−1 as float bits (all 16 when L ≥ 16). */
    private static final IntVector TABLE_LOW = SUPPORTED ? levelBits(0) : null;
    /** Levels L .. 15 as float bits, used when L is 8. */
    private static final IntVector TABLE_HIGH = SUPPORTED ? levelBits(L) : null;
    private static final FloatVector EVEN = indexVector(0, 2);
    private static final FloatVector ODD = indexVector(1, 2);
    private static final FloatVector INTERLEAVE_FIRST = interleave(0);
    private static final FloatVector INTERLEAVE_SECOND = interleave(L / 2);
    private static final Nf4ReferenceKernel REFERENCE = new Nf4ReferenceKernel();

    private static IntVector levelBits(int first) {
        int[] bits = new int[L];
        for (int j = 0; j < L && first + j < 16; j++) {
            bits[j] = Float.floatToRawIntBits(Nf4Codebook.level(first + j));
        }
        return IntVector.fromArray(I, bits, 0);
    }

    private static FloatVector indexVector(int start, int step) {
        float[] idx = new float[L];
        for (int j = 0; j < L; j++) {
            idx[j] = start + step * j;
        }
        return FloatVector.fromArray(F, idx, 0);
    }

    /** Indices taking lanes from+0, L+from+0, from+1, L+from+1, ... of a vector pair. */
    private static FloatVector interleave(int from) {
        float[] idx = new float[L];
        for (int j = 0; j < L; j++) {
            idx[j] = (j % 2 == 0 ? 0 : L) + from + j / 2;
        }
        return FloatVector.fromArray(F, idx, 0);
    }

    @Override
    public DType type() {
        return DType.NF4;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        if (!SUPPORTED) {
            REFERENCE.dequantize(src, offset, dst, dstOffset, count);
            return;
        }
        Nf4BlockLayout.check(src, offset, dst, dstOffset, count);
        for (int b = 0; b < count / Nf4BlockLayout.BLOCK; b++) {
            long block = offset + (long) b * Nf4BlockLayout.BLOCK_BYTES;
            float absmax = src.get(Nf4BlockLayout.LE_FLOAT, block);
            int out = dstOffset + b * Nf4BlockLayout.BLOCK;
            for (int j = 0; j < 32; j += L) {
                IntVector packed = widen(src, block + Nf4BlockLayout.CODES_OFFSET + j);
                FloatVector even = lookUp(packed.lanewise(VectorOperators.LSHR, 4)).mul(absmax);
                FloatVector odd = lookUp(packed.and(15)).mul(absmax);
                INTERLEAVE_FIRST.selectFrom(even, odd).intoArray(dst, out + 2 * j);
                INTERLEAVE_SECOND.selectFrom(even, odd).intoArray(dst, out + 2 * j + L);
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        if (!SUPPORTED) {
            return REFERENCE.dot(w, offset, x, xOffset, count);
        }
        Nf4BlockLayout.check(w, offset, x, xOffset, count);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < count / Nf4BlockLayout.BLOCK; b++) {
            long block = offset + (long) b * Nf4BlockLayout.BLOCK_BYTES;
            float absmax = w.get(Nf4BlockLayout.LE_FLOAT, block);
            acc = codesDot(w, block + Nf4BlockLayout.CODES_OFFSET, x, xOffset + b * Nf4BlockLayout.BLOCK)
                    .fma(FloatVector.broadcast(F, absmax), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Lane-wise partial sums of Σ level(code[i])·x[xOffset + i] over the 64 codes packed at
     * {@code codesOffset}; only when {@link #SUPPORTED}.
     */
    static FloatVector codesDot(MemorySegment w, long codesOffset, float[] x, int xOffset) {
        // even and odd lanes in separate accumulators: two short dependency chains instead of one long one
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        for (int j = 0; j < 32; j += L) {
            IntVector packed = widen(w, codesOffset + j);
            FloatVector x0 = FloatVector.fromArray(F, x, xOffset + 2 * j);
            FloatVector x1 = FloatVector.fromArray(F, x, xOffset + 2 * j + L);
            even = lookUp(packed.lanewise(VectorOperators.LSHR, 4)).fma(EVEN.selectFrom(x0, x1), even);
            odd = lookUp(packed.and(15)).fma(ODD.selectFrom(x0, x1), odd);
        }
        return even.add(odd);
    }

    private static IntVector widen(MemorySegment seg, long byteOffset) {
        ByteVector bytes = ByteVector.fromMemorySegment(B, seg, byteOffset, ByteOrder.LITTLE_ENDIAN);
        return (IntVector) bytes.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    private static FloatVector lookUp(IntVector codes) {
        IntVector bits = L >= 16 ? codes.selectFrom(TABLE_LOW) : codes.selectFrom(TABLE_LOW, TABLE_HIGH);
        return bits.reinterpretAsFloats();
    }
}
