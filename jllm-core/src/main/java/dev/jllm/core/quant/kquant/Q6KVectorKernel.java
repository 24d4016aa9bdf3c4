package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q6_K. One pass over {@code ql}/{@code qh} rebuilds the four 6-bit values that
 * share a byte position (see {@link Q6KScalarKernel}), each scaled by its group's {@code d·sc}.
 */
final class Q6KVectorKernel extends VectorKernel {
    private static final int BYTES = 210;

    Q6KVectorKernel() {
        super(DType.Q6_K);
    }

    /**
     * The unsigned 6-bit values (0..63) of plane {@code k} (0..3) at byte position {@code l} of
     * half {@code n}: a nibble of {@code ql} and two bits of {@code qh}. One plane per call keeps
     * the loop bodies small enough for C2 to inline every vector operation.
     */
    private static ByteVector plane(MemorySegment w, long at, int n, int l, int k) {
        ByteVector ql = loadBytes(w, at + 64 * n + 32 * (k & 1) + l);
        ByteVector qh = loadBytes(w, at + 128 + 32 * n + l);
        ByteVector low = shiftRight(ql, 4 * (k >> 1)).and((byte) 0xF);
        return low.or(shiftLeft(shiftRight(qh, 2 * k).and((byte) 3), 4));
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(src, at + 208);
            for (int n = 0; n < 2; n++) {
                int y = dstOffset + b * QK_K + 128 * n;
                for (int k = 0; k < 4; k++) {
                    for (int l = 0; l < 32; l += LANES) {
                        // (d·sc)·(q − 32) in GGML's order, so values match the reference exactly
                        float ds = d * src.get(ValueLayout.JAVA_BYTE, at + 192 + 8 * n + 2 * k + l / 16);
                        toFloats(plane(src, at, n, l, k).sub((byte) 32)).mul(ds).intoArray(dst, y + 32 * k + l);
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
            float d = half(w, at + 208);
            for (int n = 0; n < 2; n++) {
                long sc = w.get(LONG, at + 192 + 8 * n);
                int xb = xOffset + b * QK_K + 128 * n;
                for (int k = 0; k < 4; k++) {
                    for (int l = 0; l < 32; l += LANES) {
                        // the signed scale of this group is byte 2k + l/16 of the half's eight
                        float s = d * (byte) (sc >>> (8 * (2 * k + l / 16)));
                        FloatVector q = toFloats(plane(w, at, n, l, k));
                        // (q − 32)·s as one FMA; two accumulators swap to halve the FMA chain
                        FloatVector t = q.fma(s, -32 * s).fma(FloatVector.fromArray(F, x, xb + 32 * k + l), acc0);
                        acc0 = acc1;
                        acc1 = t;
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
