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

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(src, at + 108);
            for (int g = 0; g < 16; g++) {
                float dl = d * PackedScales.scaleQ3(src, at + 96, g);
                for (int off = 16 * (g & 1); off < 16 * (g & 1) + 16; off += LANES) {
                    values(src, at, g, off).mul(dl).intoArray(dst, dstOffset + b * QK_K + 16 * g + off % 16);
                }
            }
        }
    }

    /** Values of group {@code g} at byte position {@code off} (0..31) of its 32-byte row, as floats. */
    private static FloatVector values(MemorySegment w, long at, int g, int off) {
        int n = g >>> 3;
        int j = (g >>> 1) & 3;
        ByteVector q = loadBytes(w, at + 32 + 32 * n + off);
        ByteVector hm = loadBytes(w, at + off);
        ByteVector low = shiftRight(q, 2 * j).and((byte) 3);
        ByteVector high = shiftLeft(shiftRight(hm, 4 * n + j).and((byte) 1), 2);
        return toFloats(low.or(high).sub((byte) 4));
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        checkArgs(w, offset, count, x, xOffset, "activation");
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(w, at + 108);
            int xb = xOffset + b * QK_K;
            for (int g = 0; g < 16; g++) {
                float dl = d * PackedScales.scaleQ3(w, at + 96, g);
                for (int off = 16 * (g & 1); off < 16 * (g & 1) + 16; off += LANES) {
                    FloatVector t = values(w, at, g, off).fma(FloatVector.fromArray(F, x, xb + 16 * g + off % 16).mul(dl), acc0);
                    acc0 = acc1;
                    acc1 = t;
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
