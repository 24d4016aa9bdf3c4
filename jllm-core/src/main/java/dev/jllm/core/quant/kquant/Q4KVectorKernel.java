package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q4_K. The dot product rebuilds each weight as {@code q·(d·sc) − dmin·m} with one
 * FMA and multiplies it into F32 activations with another; four accumulators hide FMA latency.
 */
final class Q4KVectorKernel extends VectorKernel {
    private static final int BYTES = 144;

    Q4KVectorKernel() {
        super(DType.Q4_K);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        int[] sc = new int[8];
        int[] mn = new int[8];
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(src, at);
            float min = half(src, at + 2);
            unpackK4(src, at + 4, sc, mn);
            int y = dstOffset + b * QK_K;
            for (int c = 0; c < 4; c++) {
                // multiply then subtract, as GGML does, so values match the reference exactly
                FloatVector d1 = FloatVector.broadcast(F, d * sc[2 * c]);
                FloatVector m1 = FloatVector.broadcast(F, min * mn[2 * c]);
                FloatVector d2 = FloatVector.broadcast(F, d * sc[2 * c + 1]);
                FloatVector m2 = FloatVector.broadcast(F, min * mn[2 * c + 1]);
                long qs = at + 16 + 32 * c;
                for (int off = 0; off < 32; off += LANES) {
                    ByteVector q = loadBytes(src, qs + off);
                    FloatVector lo = toFloats(q.and((byte) 0xF));
                    FloatVector hi = toFloats(highNibbles(q));
                    lo.mul(d1).sub(m1).intoArray(dst, y + 64 * c + off);
                    hi.mul(d2).sub(m2).intoArray(dst, y + 64 * c + 32 + off);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        checkArgs(w, offset, count, x, xOffset, "activation");
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int[] sc = new int[8];
        int[] mn = new int[8];
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(w, at);
            float min = half(w, at + 2);
            unpackK4(w, at + 4, sc, mn);
            int xb = xOffset + b * QK_K;
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * sc[2 * c]);
                FloatVector m1 = FloatVector.broadcast(F, -min * mn[2 * c]);
                FloatVector d2 = FloatVector.broadcast(F, d * sc[2 * c + 1]);
                FloatVector m2 = FloatVector.broadcast(F, -min * mn[2 * c + 1]);
                long qs = at + 16 + 32 * c;
                int xc = xb + 64 * c;
                for (int off = 0; off < 32; off += 2 * LANES) {
                    ByteVector qa = loadBytes(w, qs + off);
                    ByteVector qb = loadBytes(w, qs + off + LANES);
                    FloatVector loA = toFloats(qa.and((byte) 0xF));
                    FloatVector hiA = toFloats(highNibbles(qa));
                    FloatVector loB = toFloats(qb.and((byte) 0xF));
                    FloatVector hiB = toFloats(highNibbles(qb));
                    acc0 = loA.fma(d1, m1).fma(FloatVector.fromArray(F, x, xc + off), acc0);
                    acc1 = loB.fma(d1, m1).fma(FloatVector.fromArray(F, x, xc + off + LANES), acc1);
                    acc2 = hiA.fma(d2, m2).fma(FloatVector.fromArray(F, x, xc + 32 + off), acc2);
                    acc3 = hiB.fma(d2, m2).fma(FloatVector.fromArray(F, x, xc + 32 + off + LANES), acc3);
                }
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }
}
