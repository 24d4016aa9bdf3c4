package dev.jllm.core.quant.floats;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Scalar reference kernels of {@link DType#F32}: one element at a time, little endian. */
public final class F32ReferenceKernel implements WeightKernel {
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public DType type() {
        return DType.F32;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        FloatArgs.check("F32", src, offset, 4, dst, dstOffset, count);
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = src.get(LE_FLOAT, offset + 4L * i);
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        FloatArgs.check("F32", w, offset, 4, x, xOffset, count);
        float sum = 0;
        for (int i = 0; i < count; i++) {
            sum += w.get(LE_FLOAT, offset + 4L * i) * x[xOffset + i];
        }
        return sum;
    }
}
