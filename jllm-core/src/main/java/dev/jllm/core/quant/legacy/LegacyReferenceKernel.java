package dev.jllm.core.quant.legacy;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar reference kernels of GGML's 32-blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1): each block is
 * decoded element by element into its integer codes, scale and minimum, exactly as
 * {@code dequantize_row_*} in ggml-quants.c reads it. The SIMD kernels are held to these.
 */
final class LegacyReferenceKernel implements WeightKernel {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType type;
    private final DType activationType;

    /** Reference kernels of {@code type} whose quantized dot takes {@code activationType} (may be null). */
    LegacyReferenceKernel(DType type, DType activationType) {
        switch (type) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> { }
            default -> throw new IllegalArgumentException("not a 32-block type: " + type);
        }
        this.type = type;
        this.activationType = activationType;
    }

    @Override
    public DType type() {
        return type;
    }

    @Override
    public DType activationType() {
        return activationType;
    }

    /** Whether this type stores a minimum {@code m} (value = q·d + m) rather than a zero offset. */
    private boolean hasMin() {
        return type == DType.Q4_1 || type == DType.Q5_1;
    }

    /** The block's scale d. */
    private static float scale(MemorySegment src, long block) {
        return Float.float16ToFloat(src.get(HALF, block));
    }

    /** The block's minimum m (0 for types without one). */
    private float min(MemorySegment src, long block) {
        return hasMin() ? Float.float16ToFloat(src.get(HALF, block + 2)) : 0f;
    }

    /** Decodes the 32 signed (offset types) or unsigned (minimum types) integer codes of a block. */
    private void codes(MemorySegment src, long block, int[] q) {
        switch (type) {
            case Q8_0 -> {
                for (int j = 0; j < 32; j++) {
                    q[j] = src.get(ValueLayout.JAVA_BYTE, block + 2 + j);
                }
            }
            case Q4_0, Q4_1 -> {
                long qs = block + (type == DType.Q4_0 ? 2 : 4);
                int offset = type == DType.Q4_0 ? 8 : 0;
                for (int j = 0; j < 16; j++) {
                    int b = src.get(ValueLayout.JAVA_BYTE, qs + j) & 0xFF;
                    q[j] = (b & 0x0F) - offset;
                    q[j + 16] = (b >>> 4) - offset;
                }
            }
            case Q5_0, Q5_1 -> {
                long qhAt = block + (type == DType.Q5_0 ? 2 : 4);
                int qh = src.get(INT, qhAt);
                int offset = type == DType.Q5_0 ? 16 : 0;
                for (int j = 0; j < 16; j++) {
                    int b = src.get(ValueLayout.JAVA_BYTE, qhAt + 4 + j) & 0xFF;
                    int h0 = (qh >>> j) & 1;
                    int h1 = (qh >>> (j + 16)) & 1;
                    q[j] = ((b & 0x0F) | (h0 << 4)) - offset;
                    q[j + 16] = ((b >>> 4) | (h1 << 4)) - offset;
                }
            }
            default -> throw new AssertionError(type);
        }
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        int blocks = KernelArguments.blocks(type, count);
        KernelArguments.checkBlocks(type, src, offset, blocks);
        KernelArguments.checkFloats("dst", dst, dstOffset, count);
        int[] q = new int[32];
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * type.blockBytes();
            float d = scale(src, block);
            float m = min(src, block);
            codes(src, block, q);
            for (int j = 0; j < 32; j++) {
                dst[dstOffset + b * 32 + j] = hasMin() ? q[j] * d + m : q[j] * d;
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        int blocks = KernelArguments.blocks(type, count);
        KernelArguments.checkBlocks(type, w, offset, blocks);
        KernelArguments.checkFloats("x", x, xOffset, count);
        int[] q = new int[32];
        double sum = 0;
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * type.blockBytes();
            float d = scale(w, block);
            float m = min(w, block);
            codes(w, block, q);
            for (int j = 0; j < 32; j++) {
                float value = hasMin() ? q[j] * d + m : q[j] * d;
                sum += (double) value * x[xOffset + b * 32 + j];
            }
        }
        return (float) sum;
    }

    /**
     * As llama.cpp's {@code ggml_vec_dot_*_q8_*}: per block the exact integer sum of code
     * products times both scales, plus (minimum types) the weight minimum times the activation
     * block's stored scaled sum; blocks summed in order in float.
     */
    @Override
    public float dotQuantized(MemorySegment w, long offset, QuantizedActivations x, int xOffset, int count) {
        int blocks = KernelArguments.blocks(type, count);
        KernelArguments.checkBlocks(type, w, offset, blocks);
        KernelArguments.checkActivations(type, x, xOffset, count, hasMin());
        int[] q = new int[32];
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * type.blockBytes();
            codes(w, block, q);
            int xb = xOffset / 32 + b;
            int sumi = 0;
            for (int j = 0; j < 32; j++) {
                sumi += q[j] * x.qs[xb * 32 + j];
            }
            sum += scale(w, block) * x.scales[xb] * sumi;
            if (hasMin()) {
                sum += min(w, block) * x.blockSums[xb];
            }
        }
        return sum;
    }
}
