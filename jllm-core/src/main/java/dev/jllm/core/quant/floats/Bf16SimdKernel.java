package dev.jllm.core.quant.floats;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API kernels of {@link DType#BF16}; the dot product keeps two accumulators to hide FMA latency. */
public final class Bf16SimdKernel implements WeightKernel {
    private static final VectorSpecies<Float> F = HalfLanes.F;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public DType type() {
        return DType.BF16;
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int count) {
        FloatArgs.check("BF16", w, offset, 2, dst, dstOffset, count);
        int lanes = F.length();
        int i = 0;
        for (; i <= count - lanes; i += lanes) {
            HalfLanes.loadBf16(w, offset + 2L * i).intoArray(dst, dstOffset + i);
        }
        for (; i < count; i++) {
            dst[dstOffset + i] = Float.intBitsToFloat((w.get(LE_SHORT, offset + 2L * i) & 0xffff) << 16);
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        FloatArgs.check("BF16", w, offset, 2, x, xOffset, count);
        int lanes = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i <= count - 2 * lanes; i += 2 * lanes) {
            long b = offset + 2L * i;
            acc0 = HalfLanes.loadBf16(w, b).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = HalfLanes.loadBf16(w, b + 2L * lanes).fma(FloatVector.fromArray(F, x, xOffset + i + lanes), acc1);
        }
        for (; i <= count - lanes; i += lanes) {
            acc0 = HalfLanes.loadBf16(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < count; i++) {
            sum += Float.intBitsToFloat((w.get(LE_SHORT, offset + 2L * i) & 0xffff) << 16) * x[xOffset + i];
        }
        return sum;
    }
}
