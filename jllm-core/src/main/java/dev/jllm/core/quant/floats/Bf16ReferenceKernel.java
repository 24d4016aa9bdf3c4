package dev.jllm.core.quant.floats;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Scalar reference kernels of {@link DType#BF16}: one element at a time, bfloat16 widened by a 16-bit shift. */
public final class Bf16ReferenceKernel implements WeightKernel {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public DType type() {
        return DType.BF16;
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int count) {
        FloatArgs.check("BF16", w, offset, 2, dst, dstOffset, count);
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = Float.intBitsToFloat((w.get(LE_SHORT, offset + 2L * i) & 0xffff) << 16);
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        FloatArgs.check("BF16", w, offset, 2, x, xOffset, count);
        float sum = 0;
        for (int i = 0; i < count; i++) {
            sum += Float.intBitsToFloat((w.get(LE_SHORT, offset + 2L * i) & 0xffff) << 16) * x[xOffset + i];
        }
        return sum;
    }
}
