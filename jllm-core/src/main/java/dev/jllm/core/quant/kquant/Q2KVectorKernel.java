package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q2_K: each 32-byte row of {@code qs} is read once per 2-bit plane; weights are
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
                for (int off = 0; off < 32; off += LANES) {
                    ByteVector q = loadBytes(src, at + 16 + 32 * n + off);
                    for (int j = 0; j < 4; j++) {
                        int g = 8 * n + 2 * j + off / 16;
                        int sc = ubyte(src, at + g);
                        FloatVector v = toFloats(shiftRight(q, 2 * j).and((byte) 3));
                        v.mul(d * (sc & 0xF)).sub(min * (sc >>> 4)).intoArray(dst, dstOffset + b * QK_K + 16 * g + off % 16);
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
            for (int n = 0; n < 2; n++) {
                for (int off = 0; off < 32; off += LANES) {
                    ByteVector q = loadBytes(w, at + 16 + 32 * n + off);
                    for (int j = 0; j < 4; j += 2) {
                        int g0 = 8 * n + 2 * j + off / 16;
                        int g1 = g0 + 2;
                        int sc0 = ubyte(w, at + g0);
                        int sc1 = ubyte(w, at + g1);
                        FloatVector v0 = toFloats(shiftRight(q, 2 * j).and((byte) 3));
                        FloatVector v1 = toFloats(shiftRight(q, 2 * j + 2).and((byte) 3));
                        int x0 = xOffset + b * QK_K + 16 * g0 + off % 16;
                        acc0 = v0.fma(d * (sc0 & 0xF), -min * (sc0 >>> 4)).fma(FloatVector.fromArray(F, x, x0), acc0);
                        acc1 = v1.fma(d * (sc1 & 0xF), -min * (sc1 >>> 4))
                                .fma(FloatVector.fromArray(F, x, x0 + 32), acc1);
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
