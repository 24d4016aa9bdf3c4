package dev.jllm.core.quant.floats;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API kernels of {@link DType#F32}; the dot product keeps four accumulators to hide FMA latency. */
public final class F32SimdKernel implements WeightKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public DType type() {
        return DType.F32;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        FloatArgs.check("F32", src, offset, 4, dst, dstOffset, count);
        MemorySegment.copy(src, LE_FLOAT, offset, dst, dstOffset, count);
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        FloatArgs.check("F32", w, offset, 4, x, xOffset, count);
        int lanes = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i <= count - 4 * lanes; i += 4 * lanes) {
            long b = offset + 4L * i;
            acc0 = load(w, b).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = load(w, b + 4L * lanes).fma(FloatVector.fromArray(F, x, xOffset + i + lanes), acc1);
            acc2 = load(w, b + 8L * lanes).fma(FloatVector.fromArray(F, x, xOffset + i + 2 * lanes), acc2);
            acc3 = load(w, b + 12L * lanes).fma(FloatVector.fromArray(F, x, xOffset + i + 3 * lanes), acc3);
        }
        for (; i <= count - lanes; i += lanes) {
            acc0 = load(w, offset + 4L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < count; i++) {
            sum += w.get(LE_FLOAT, offset + 4L * i) * x[xOffset + i];
        }
        return sum;
    }

    private static FloatVector load(MemorySegment w, long byteOffset) {
        return FloatVector.fromMemorySegment(F, w, byteOffset, ByteOrder.LITTLE_ENDIAN);
    }
}
