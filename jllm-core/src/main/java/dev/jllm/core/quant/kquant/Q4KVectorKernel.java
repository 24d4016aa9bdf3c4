package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q4_K. Each 32-byte chunk of {@code qs} holds two sub-blocks (low and high
 * nibbles), read {@link #LANES} bytes at a time and widened to ints; the dot product rebuilds each weight as {@code q·(d·sc) − dmin·m} with one FMA and
 * multiplies it into F32 activations with another, over four rotating accumulators.
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
                float d1 = d * sc[2 * c];
                float m1 = min * mn[2 * c];
                float d2 = d * sc[2 * c + 1];
                float m2 = min * mn[2 * c + 1];
                for (int o = 0; o < 32; o += LANES) {
                    // sign-extended bytes; masking the nibbles undoes the sign
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, src, at + 16 + 32 * c + o, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    // multiply then subtract, as GGML does, so values match the reference exactly
                    ((FloatVector) v.and(0xF).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1)
                            .intoArray(dst, y + 64 * c + o);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0))
                            .mul(d2).sub(m2).intoArray(dst, y + 64 * c + 32 + o);
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
                    // sign-extended bytes; masking the nibbles undoes the sign
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, w, at + 16 + 32 * c + o, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    FloatVector lo = (FloatVector) v.and(0xF).convert(VectorOperators.I2F, 0);
                    FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(0xF)
                            .convert(VectorOperators.I2F, 0);
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
