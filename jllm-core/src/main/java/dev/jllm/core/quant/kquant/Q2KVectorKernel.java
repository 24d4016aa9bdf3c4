package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q2_K: plane {@code j} of a 32-byte row of {@code qs} holds 32 two-bit values,
 * rebuilt as {@code q·(d·sc) − dmin·m} per group of 16 (see {@link Q2KScalarKernel}).
 */
final class Q2KVectorKernel extends VectorKernel {
    private static final int BYTES = 84;

    Q2KVectorKernel() {
        super(DType.Q2_K);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(src, at + 80);
            float min = half(src, at + 82);
            for (int n = 0; n < 2; n++) {
                for (int j = 0; j < 4; j++) {
                    ByteVector q = ByteVector.fromMemorySegment(CHUNK, src, at + 16 + 32 * n, LE)
                            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * j).reinterpretAsBytes()
                            .and((byte) 3);
                    for (int p = 0; p < PARTS; p++) {
                        int g = 8 * n + 2 * j + p * LANES / 16;
                        int sc = ubyte(src, at + g);
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d * (sc & 0xF))
                                .sub(min * (sc >>> 4)).intoArray(dst, dstOffset + b * QK_K + 128 * n + 32 * j + p * LANES);
                    }
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        checkArgs(w, offset, count, x, xOffset, "activation");
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(w, at + 80);
            float min = half(w, at + 82);
            long scales0 = w.get(LONG, at);
            long scales1 = w.get(LONG, at + 8);
            for (int n = 0; n < 2; n++) {
                for (int j = 0; j < 4; j++) {
                    ByteVector q = ByteVector.fromMemorySegment(CHUNK, w, at + 16 + 32 * n, LE)
                            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * j).reinterpretAsBytes()
                            .and((byte) 3);
                    int xj = xOffset + b * QK_K + 128 * n + 32 * j;
                    for (int p = 0; p < PARTS; p++) {
                        int g = 2 * j + p * LANES / 16;
                        int sc = (int) ((n == 0 ? scales0 : scales1) >>> (8 * g)) & 0xFF;
                        FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                                .fma(d * (sc & 0xF), -min * (sc >>> 4))
                                .fma(FloatVector.fromArray(F, x, xj + p * LANES), acc0);
                        acc0 = acc1;
                        acc1 = t;
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
