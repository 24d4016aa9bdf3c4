package dev.jllm.core.quant.nf4;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Scalar reference kernels of {@link DType#NF4}: level(code) × absmax, one element at a time. */
public final class Nf4ReferenceKernel implements WeightKernel {

    @Override
    public DType type() {
        return DType.NF4;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        Nf4BlockLayout.check(src, offset, dst, dstOffset, count);
        for (int b = 0; b < count / Nf4BlockLayout.BLOCK; b++) {
            long block = offset + (long) b * Nf4BlockLayout.BLOCK_BYTES;
            float absmax = src.get(Nf4BlockLayout.LE_FLOAT, block);
            int out = dstOffset + b * Nf4BlockLayout.BLOCK;
            for (int i = 0; i < 32; i++) {
                int packed = src.get(ValueLayout.JAVA_BYTE, block + Nf4BlockLayout.CODES_OFFSET + i) & 0xff;
                dst[out + 2 * i] = Nf4Codebook.level(packed >>> 4) * absmax;
                dst[out + 2 * i + 1] = Nf4Codebook.level(packed & 15) * absmax;
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        Nf4BlockLayout.check(w, offset, x, xOffset, count);
        float sum = 0;
        for (int b = 0; b < count / Nf4BlockLayout.BLOCK; b++) {
            long block = offset + (long) b * Nf4BlockLayout.BLOCK_BYTES;
            sum += w.get(Nf4BlockLayout.LE_FLOAT, block)
                    * codesDot(w, block + Nf4BlockLayout.CODES_OFFSET, x, xOffset + b * Nf4BlockLayout.BLOCK);
        }
        return sum;
    }

    /** Σ level(code[i])·x[xOffset + i] over the 64 codes packed at {@code codesOffset}. */
    static float codesDot(MemorySegment w, long codesOffset, float[] x, int xOffset) {
        float sum = 0;
        for (int i = 0; i < 32; i++) {
            int packed = w.get(ValueLayout.JAVA_BYTE, codesOffset + i) & 0xff;
            sum += Nf4Codebook.level(packed >>> 4) * x[xOffset + 2 * i]
                    + Nf4Codebook.level(packed & 15) * x[xOffset + 2 * i + 1];
        }
        return sum;
    }
}
