package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q3_K: the 2-bit plane of {@code qs} plus the {@code hmask} bit moved to bit 2,
 * minus 4, times {@code d·(scale − 32)} per group of 16 (see {@link Q3KScalarKernel}).
 */
final class Q3KVectorKernel extends VectorKernel {
    private static final int BYTES = 110;

    Q3KVectorKernel() {
        super(DType.Q3_K);
    }

    /** Values of plane {@code j} of half {@code n} at byte position {@code off}, as floats. */
    private static FloatVector values(ByteVector q, ByteVector hm, int n, int j) {
        int bit = 4 * n + j;
        ByteVector low = shiftBits(q, -2 * j).and((byte) 3);
        ByteVector high = shiftBits(hm, 2 - bit).and((byte) 4);
        return toFloats(low.or(high).sub((byte) 4));
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(src, at + 108);
            for (int n = 0; n < 2; n++) {
                for (int off = 0; off < 32; off += LANES) {
                    ByteVector q = loadBytes(src, at + 32 + 32 * n + off);
                    ByteVector hm = loadBytes(src, at + off);
                    for (int j = 0; j < 4; j++) {
                        int g = 8 * n + 2 * j + off / 16;
                        float dl = d * PackedScales.scaleQ3(src, at + 96, g);
                        values(q, hm, n, j).mul(dl).intoArray(dst, dstOffset + b * QK_K + 16 * g + off % 16);
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
            float d = half(w, at + 108);
            for (int n = 0; n < 2; n++) {
                for (int off = 0; off < 32; off += LANES) {
                    ByteVector q = loadBytes(w, at + 32 + 32 * n + off);
                    ByteVector hm = loadBytes(w, at + off);
                    for (int j = 0; j < 4; j += 2) {
                        int g0 = 8 * n + 2 * j + off / 16;
                        float dl0 = d * PackedScales.scaleQ3(w, at + 96, g0);
                        float dl1 = d * PackedScales.scaleQ3(w, at + 96, g0 + 2);
                        int x0 = xOffset + b * QK_K + 16 * g0 + off % 16;
                        acc0 = values(q, hm, n, j).mul(dl0).fma(FloatVector.fromArray(F, x, x0), acc0);
                        acc1 = values(q, hm, n, j + 1).mul(dl1).fma(FloatVector.fromArray(F, x, x0 + 32), acc1);
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
