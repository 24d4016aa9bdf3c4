package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q6_K. Plane {@code k} (0..3) of half {@code n} is 32 six-bit values: a nibble
 * of a 32-byte row of {@code ql} (low for k < 2) and bits {@code 2k, 2k+1} of the half's
 * {@code qh} row, minus 32, times {@code d·sc} of its group of 16 (see {@link Q6KScalarKernel}).
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
                for (int k = 0; k < 4; k++) {
                    ByteVector ql = ByteVector.fromMemorySegment(CHUNK, src, at + 64 * n + 32 * (k & 1), LE);
                    ByteVector qh = ByteVector.fromMemorySegment(CHUNK, src, at + 128 + 32 * n, LE);
                    ByteVector q = ql.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4 * (k >> 1))
                            .reinterpretAsBytes().and((byte) 0xF)
                            .or(qh.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * k).reinterpretAsBytes()
                                    .and((byte) 3).reinterpretAsInts().lanewise(VectorOperators.LSHL, 4)
                                    .reinterpretAsBytes())
                            .sub((byte) 32);
                    for (int p = 0; p < PARTS; p++) {
                        // (d·sc)·(q − 32) in GGML's order, so values match the reference exactly
                        float ds = d * src.get(ValueLayout.JAVA_BYTE, at + 192 + 8 * n + 2 * k + p * LANES / 16);
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(ds)
                                .intoArray(dst, y + 32 * k + p * LANES);
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
                    ByteVector ql = ByteVector.fromMemorySegment(CHUNK, w, at + 64 * n + 32 * (k & 1), LE);
                    ByteVector qh = ByteVector.fromMemorySegment(CHUNK, w, at + 128 + 32 * n, LE);
                    ByteVector q = ql.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4 * (k >> 1))
                            .reinterpretAsBytes().and((byte) 0xF)
                            .or(qh.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * k).reinterpretAsBytes()
                                    .and((byte) 3).reinterpretAsInts().lanewise(VectorOperators.LSHL, 4)
                                    .reinterpretAsBytes());
                    for (int p = 0; p < PARTS; p++) {
                        // the signed scale of this group is byte 2k + l/16 of the half's eight
                        float s = d * (byte) (sc >>> (8 * (2 * k + p * LANES / 16)));
                        // (q − 32)·s as one FMA; two accumulators swap to halve the FMA chain
                        FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).fma(s, -32 * s)
                                .fma(FloatVector.fromArray(F, x, xb + 32 * k + p * LANES), acc0);
                        acc0 = acc1;
                        acc1 = t;
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
