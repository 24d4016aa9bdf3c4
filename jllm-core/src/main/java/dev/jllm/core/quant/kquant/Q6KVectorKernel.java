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

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(src, at + 208);
            for (int n = 0; n < 2; n++) {
                int y = dstOffset + b * QK_K + 128 * n;
                for (int l = 0; l < 32; l += LANES) {
                    ByteVector a = loadBytes(src, at + 64 * n + l);
                    ByteVector bb = loadBytes(src, at + 64 * n + 32 + l);
                    ByteVector h = loadBytes(src, at + 128 + 32 * n + l);
                    byte high = 0x30;
                    long sc = at + 192 + 8 * n + l / 16;
                    // (d·sc)·q in GGML's order, so values match the reference exactly
                    toFloats(a.and((byte) 0xF).or(shiftBits(h, 4).and(high)).sub((byte) 32))
                            .mul(d * src.get(ValueLayout.JAVA_BYTE, sc)).intoArray(dst, y + l);
                    toFloats(bb.and((byte) 0xF).or(shiftBits(h, 2).and(high)).sub((byte) 32))
                            .mul(d * src.get(ValueLayout.JAVA_BYTE, sc + 2)).intoArray(dst, y + 32 + l);
                    toFloats(highNibbles(a).or(h.and(high)).sub((byte) 32))
                            .mul(d * src.get(ValueLayout.JAVA_BYTE, sc + 4)).intoArray(dst, y + 64 + l);
                    toFloats(highNibbles(bb).or(shiftBits(h, -2).and(high)).sub((byte) 32))
                            .mul(d * src.get(ValueLayout.JAVA_BYTE, sc + 6)).intoArray(dst, y + 96 + l);
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
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(w, at + 208);
            long scales = w.get(LONG, at + 192);
            long scales2 = w.get(LONG, at + 200);
            for (int n = 0; n < 2; n++) {
                long sc = n == 0 ? scales : scales2;
                int xb = xOffset + b * QK_K + 128 * n;
                for (int l = 0; l < 32; l += LANES) {
                    int is = l / 16;
                    ByteVector a = loadBytes(w, at + 64 * n + l);
                    ByteVector bb = loadBytes(w, at + 64 * n + 32 + l);
                    ByteVector h = loadBytes(w, at + 128 + 32 * n + l);
                    byte high = 0x30;
                    FloatVector q1 = toFloats(a.and((byte) 0xF).or(shiftBits(h, 4).and(high)).sub((byte) 32));
                    FloatVector q2 = toFloats(bb.and((byte) 0xF).or(shiftBits(h, 2).and(high)).sub((byte) 32));
                    FloatVector q3 = toFloats(highNibbles(a).or(h.and(high)).sub((byte) 32));
                    FloatVector q4 = toFloats(highNibbles(bb).or(shiftBits(h, -2).and(high)).sub((byte) 32));
                    // the signed scale of group is + 2k sits in byte is + 2k of this half's eight
                    float s1 = d * (byte) (sc >>> (8 * is));
                    float s2 = d * (byte) (sc >>> (8 * (is + 2)));
                    float s3 = d * (byte) (sc >>> (8 * (is + 4)));
                    float s4 = d * (byte) (sc >>> (8 * (is + 6)));
                    acc0 = q1.mul(s1).fma(FloatVector.fromArray(F, x, xb + l), acc0);
                    acc1 = q2.mul(s2).fma(FloatVector.fromArray(F, x, xb + 32 + l), acc1);
                    acc2 = q3.mul(s3).fma(FloatVector.fromArray(F, x, xb + 64 + l), acc2);
                    acc3 = q4.mul(s4).fma(FloatVector.fromArray(F, x, xb + 96 + l), acc3);
                }
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }
}
