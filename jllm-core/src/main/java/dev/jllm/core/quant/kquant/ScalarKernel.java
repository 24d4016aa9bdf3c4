package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * A scalar reference kernel: each type supplies GGML's dequantize_row and vec_dot_q8_K of one
 * super-block; the F32 dot product dequantizes a super-block and sums in element order.
 */
abstract class ScalarKernel extends KQuantKernel {

    ScalarKernel(DType type) {
        super(type);
    }

    /** Dequantizes the super-block at {@code at} into {@code dst[dstOffset .. + 256)}. */
    abstract void dequantizeBlock(MemorySegment src, long at, float[] dst, int dstOffset);

    /**
     * GGML's scalar vec_dot_q*_K_q8_K over {@code blocks} super-blocks, keeping its order of
     * float operations.
     */
    abstract float dotQ8K(MemorySegment w, long offset, QuantizedActivations x, int block0, int blocks);

    @Override
    public final void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        int bytes = type().blockBytes();
        for (int b = 0; b < count / QK_K; b++) {
            dequantizeBlock(src, offset + (long) b * bytes, dst, dstOffset + b * QK_K);
        }
    }

    @Override
    public final float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        checkArgs(w, offset, count, x, xOffset, "activation");
        int bytes = type().blockBytes();
        float[] block = new float[QK_K];
        float sum = 0;
        for (int b = 0; b < count / QK_K; b++) {
            dequantizeBlock(w, offset + (long) b * bytes, block, 0);
            int base = xOffset + b * QK_K;
            for (int i = 0; i < QK_K; i++) {
                sum += block[i] * x[base + i];
            }
        }
        return sum;
    }

    @Override
    public final DType activationType() {
        return DType.Q8_K;
    }

    @Override
    public final float dotQuantized(MemorySegment w, long offset, QuantizedActivations x, int xOffset, int count) {
        checkArgs(w, offset, count, x, xOffset);
        return dotQ8K(w, offset, x, xOffset / QK_K, count / QK_K);
    }
}
