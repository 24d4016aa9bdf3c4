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
 * The dot product decodes the sixteen {@code d·sc} of a super-block as one vector and reads
 * them back as broadcasts, so a group of 16 weights costs a widening, a multiply and an FMA.
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
        // one bounds-checked view of the row, so the reads need only cheap range checks
        MemorySegment row = w.asSlice(offset, (long) (count / QK_K) * BYTES);
        // d·scale of the sixteen groups of the current super-block, read back as broadcasts
        float[] scales = new float[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        ByteVector ql0;
        ByteVector ql1;
        ByteVector qh;
        ByteVector q;
        for (int b = 0; b < count / QK_K; b++) {
            long at = (long) b * BYTES;
            int xb = xOffset + b * QK_K;
            float d = half(row, at + 208);
            ByteVector groupScales = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, row, at + 192, LE);
            ((FloatVector) groupScales.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(scales, 0);
            if (LANES < 16) {
                storeUpperScales(groupScales, d, scales);
            }
            // Plane k of a half is a nibble of ql (low for k < 2) with bits 2k, 2k+1 of qh moved to
            // bits 4, 5, minus 32, built on 32 bytes at once; each 16-weight group then costs a
            // widening, one multiply by its scale and one FMA. The planes are written out: C2
            // compiles loops over them with far more overhead.
            // half 0: ql[0..63], qh[0..31], scales 0..7
            ql0 = ByteVector.fromMemorySegment(CHUNK, row, at + 0, LE);
            ql1 = ByteVector.fromMemorySegment(CHUNK, row, at + 32, LE);
            qh = ByteVector.fromMemorySegment(CHUNK, row, at + 128, LE);
            q = ql0.and((byte) 0x0F).or(qh.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
            for (int p = 0; p < PARTS; p++) {
                FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .mul(scales[0 + p * LANES / 16])
                        .fma(FloatVector.fromArray(F, x, xb + 0 + p * LANES), acc0);
                acc0 = acc1;
                acc1 = acc2;
                acc2 = acc3;
                acc3 = t;
            }
            q = ql1.and((byte) 0x0F).or(qh.reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
            for (int p = 0; p < PARTS; p++) {
                FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .mul(scales[2 + p * LANES / 16])
                        .fma(FloatVector.fromArray(F, x, xb + 32 + p * LANES), acc0);
                acc0 = acc1;
                acc1 = acc2;
                acc2 = acc3;
                acc3 = t;
            }
            q = ql0.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).or(qh.and((byte) 0x30)).sub((byte) 32);
            for (int p = 0; p < PARTS; p++) {
                FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .mul(scales[4 + p * LANES / 16])
                        .fma(FloatVector.fromArray(F, x, xb + 64 + p * LANES), acc0);
                acc0 = acc1;
                acc1 = acc2;
                acc2 = acc3;
                acc3 = t;
            }
            q = ql1.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).or(qh.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
            for (int p = 0; p < PARTS; p++) {
                FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .mul(scales[6 + p * LANES / 16])
                        .fma(FloatVector.fromArray(F, x, xb + 96 + p * LANES), acc0);
                acc0 = acc1;
                acc1 = acc2;
                acc2 = acc3;
                acc3 = t;
            }
            // half 1: ql[64..127], qh[32..63], scales 8..15
            ql0 = ByteVector.fromMemorySegment(CHUNK, row, at + 64, LE);
            ql1 = ByteVector.fromMemorySegment(CHUNK, row, at + 96, LE);
            qh = ByteVector.fromMemorySegment(CHUNK, row, at + 160, LE);
            q = ql0.and((byte) 0x0F).or(qh.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
            for (int p = 0; p < PARTS; p++) {
                FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .mul(scales[8 + p * LANES / 16])
                        .fma(FloatVector.fromArray(F, x, xb + 128 + p * LANES), acc0);
                acc0 = acc1;
                acc1 = acc2;
                acc2 = acc3;
                acc3 = t;
            }
            q = ql1.and((byte) 0x0F).or(qh.reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
            for (int p = 0; p < PARTS; p++) {
                FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .mul(scales[10 + p * LANES / 16])
                        .fma(FloatVector.fromArray(F, x, xb + 160 + p * LANES), acc0);
                acc0 = acc1;
                acc1 = acc2;
                acc2 = acc3;
                acc3 = t;
            }
            q = ql0.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).or(qh.and((byte) 0x30)).sub((byte) 32);
            for (int p = 0; p < PARTS; p++) {
                FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .mul(scales[12 + p * LANES / 16])
                        .fma(FloatVector.fromArray(F, x, xb + 192 + p * LANES), acc0);
                acc0 = acc1;
                acc1 = acc2;
                acc2 = acc3;
                acc3 = t;
            }
            q = ql1.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).or(qh.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
            for (int p = 0; p < PARTS; p++) {
                FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .mul(scales[14 + p * LANES / 16])
                        .fma(FloatVector.fromArray(F, x, xb + 224 + p * LANES), acc0);
                acc0 = acc1;
                acc1 = acc2;
                acc2 = acc3;
                acc3 = t;
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    /** At 256 bits, scales 8..15 of {@code groupScales} times {@code d} into {@code scales}. */
    private static void storeUpperScales(ByteVector groupScales, float d, float[] scales) {
        ((FloatVector) groupScales.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(scales, LANES);
    }
}
