package dev.jllm.core.quant.floats;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels of {@link DType#F16}. The dot product keeps two accumulators to hide FMA
 * latency and converts with the fast finite-only widening, falling back to the exact one for a
 * row that turns out to hold an infinity or NaN.
 */
public final class F16SimdKernel implements WeightKernel {
    private static final VectorSpecies<Float> F = HalfLanes.F;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public DType type() {
        return DType.F16;
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int count) {
        FloatArgs.check("F16", w, offset, 2, dst, dstOffset, count);
        int lanes = F.length();
        int i = 0;
        for (; i <= count - lanes; i += lanes) {
            HalfLanes.loadF16(w, offset + 2L * i).intoArray(dst, dstOffset + i);
        }
        for (; i < count; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(w.get(LE_SHORT, offset + 2L * i));
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        FloatArgs.check("F16", w, offset, 2, x, xOffset, count);
        int lanes = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        // the fast conversion leaves infinities and NaNs finite; tracking the largest magnitude costs less than patching
        IntVector largest = IntVector.zero(HalfLanes.I);
        int i = 0;
        for (; i <= count - 2 * lanes; i += 2 * lanes) {
            long b = offset + 2L * i;
            FloatVector w0 = HalfLanes.loadF16Finite(w, b);
            FloatVector w1 = HalfLanes.loadF16Finite(w, b + 2L * lanes);
            // magnitudes compared as integers: one instruction, unlike Java's float max
            largest = largest.max(w0.reinterpretAsInts().and(0x7fffffff)).max(w1.reinterpretAsInts().and(0x7fffffff));
            acc0 = w0.fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = w1.fma(FloatVector.fromArray(F, x, xOffset + i + lanes), acc1);
        }
        if (largest.reduceLanes(VectorOperators.MAX) >= Float.floatToRawIntBits(HalfLanes.F16_SPECIAL)) {
            return dotWithSpecials(w, offset, x, xOffset, count);
        }
        for (; i <= count - lanes; i += lanes) {
            acc0 = HalfLanes.loadF16(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < count; i++) {
            sum += Float.float16ToFloat(w.get(LE_SHORT, offset + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }

    /** The dot product with the exact conversion throughout, for rows holding an infinity or NaN. */
    private static float dotWithSpecials(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= count - F.length(); i += F.length()) {
            acc = HalfLanes.loadF16(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < count; i++) {
            sum += Float.float16ToFloat(w.get(LE_SHORT, offset + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }
}
