package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q5_K: Q4_K's nibbles with the fifth bit from {@code qh} moved to bit 4 (bits
 * {@code 2c} and {@code 2c + 1} of {@code qh[l]} belong to chunk {@code c}); each weight is
 * rebuilt as {@code q·(d·sc) − dmin·m} with one FMA and multiplied into F32 activations.
 */
final class Q5KVectorKernel extends VectorKernel {
    private static final int BYTES = 176;

    Q5KVectorKernel() {
        super(DType.Q5_K);
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
                float d1 = d * sc[2 * c];
                float m1 = min * mn[2 * c];
                float d2 = d * sc[2 * c + 1];
                float m2 = min * mn[2 * c + 1];
                for (int o = 0; o < 32; o += LANES) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, src, at + 48 + 32 * c + o, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    // bits 2c and 2c+1 of qh belong to this chunk; bring them down to bits 0 and 1
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, src, at + 16 + o, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 2 * c);
                    IntVector lo = v.and(0xF).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10));
                    IntVector hi = v.lanewise(VectorOperators.LSHR, 4).and(0xF)
                            .or(h.lanewise(VectorOperators.LSHL, 3).and(0x10));
                    ((FloatVector) lo.convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(dst, y + 64 * c + o);
                    ((FloatVector) hi.convert(VectorOperators.I2F, 0)).mul(d2).sub(m2)
                            .intoArray(dst, y + 64 * c + 32 + o);
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
                int xc = xb + 64 * c;
                for (int o = 0; o < 32; o += LANES) {
                    // sign-extended bytes; the masks below undo the sign
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, w, at + 48 + 32 * c + o, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    // bits 2c and 2c+1 of qh belong to this chunk; bring them down to bits 0 and 1
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, w, at + 16 + o, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 2 * c);
                    FloatVector lo = (FloatVector) v.and(0xF).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10))
                            .convert(VectorOperators.I2F, 0);
                    FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(0xF)
                            .or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convert(VectorOperators.I2F, 0);
                    FloatVector t0 = lo.fma(d1, m1).fma(FloatVector.fromArray(F, x, xc + o), acc0);
                    FloatVector t1 = hi.fma(d2, m2).fma(FloatVector.fromArray(F, x, xc + 32 + o), acc1);
                    // rotate so consecutive vectors feed different accumulators
                    acc0 = acc2;
                    acc1 = acc3;
                    acc2 = t0;
                    acc3 = t1;
                }
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }
}
