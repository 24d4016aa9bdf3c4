package dev.jllm.core.linalg;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Small scalar weight kernels for testing the linear-algebra drivers before (and independently
 * of) the real per-type kernels: plain F32, and a toy Q8_0 (F16 scale + 32 int8) that takes
 * Q8_0-quantized activations, so both the float and the quantized-activation paths run.
 */
final class TestKernels {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestKernels() {
    }

    /** F32 weights, F32 activations. */
    static final WeightKernel FLOAT = new WeightKernel() {
        @Override
        public DType type() {
            return DType.F32;
        }

        @Override
        public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
            for (int i = 0; i < count; i++) {
                dst[dstOffset + i] = src.get(F32, offset + 4L * i);
            }
        }

        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
            float s = 0;
            for (int i = 0; i < count; i++) {
                s += w.get(F32, offset + 4L * i) * x[xOffset + i];
            }
            return s;
        }
    };

    /** A toy Q8_0: dot products against Q8_0 activations in integers, as GGML does. */
    static final WeightKernel TOY_Q8 = new WeightKernel() {
        @Override
        public DType type() {
            return DType.Q8_0;
        }

        @Override
        public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
            for (int b = 0; b < count / 32; b++) {
                long at = offset + 34L * b;
                float d = Float.float16ToFloat(src.get(F16, at));
                for (int j = 0; j < 32; j++) {
                    dst[dstOffset + 32 * b + j] = d * src.get(ValueLayout.JAVA_BYTE, at + 2 + j);
                }
            }
        }

        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
            float[] row = new float[count];
            dequantize(w, offset, row, 0, count);
            float s = 0;
            for (int i = 0; i < count; i++) {
                s += row[i] * x[xOffset + i];
            }
            return s;
        }

        @Override
        public DType activationType() {
            return DType.Q8_0;
        }

        @Override
        public float dotQuantized(MemorySegment w, long offset, QuantizedActivations x, int xOffset, int count) {
            float s = 0;
            for (int b = 0; b < count / 32; b++) {
                long at = offset + 34L * b;
                int sum = 0;
                for (int j = 0; j < 32; j++) {
                    sum += w.get(ValueLayout.JAVA_BYTE, at + 2 + j) * x.qs[xOffset + 32 * b + j];
                }
                s += sum * Float.float16ToFloat(w.get(F16, at)) * x.scales[(xOffset / 32) + b];
            }
            return s;
        }
    };

    /** A [rows, cols] F32 tensor of Gaussian values. */
    static Tensor randomF32(Arena arena, Random rnd, int rows, int cols) {
        Tensor t = Tensor.allocate(arena, DType.F32, rows, cols);
        for (long i = 0; i < (long) rows * cols; i++) {
            t.data().set(F32, 4 * i, (float) rnd.nextGaussian());
        }
        return t;
    }

    /** A [rows, cols] toy-Q8_0 tensor of random int8 values with small random scales. */
    static Tensor randomQ8(Arena arena, Random rnd, int rows, int cols) {
        Tensor t = Tensor.allocate(arena, DType.Q8_0, rows, cols);
        long blocks = (long) rows * cols / 32;
        for (long b = 0; b < blocks; b++) {
            t.data().set(F16, 34 * b, Float.floatToFloat16(0.001f + 0.02f * rnd.nextFloat()));
            for (int j = 0; j < 32; j++) {
                t.data().set(ValueLayout.JAVA_BYTE, 34 * b + 2 + j, (byte) (rnd.nextInt(255) - 127));
            }
        }
        return t;
    }

    static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
