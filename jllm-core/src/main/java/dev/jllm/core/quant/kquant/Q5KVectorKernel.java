package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q5_K: Q4_K's nibbles with the fifth bit from {@code qh} moved to bit 4 (bits
 * {@code 2c} and {@code 2c + 1} of {@code qh[l]} belong to chunk {@code c}); each weight is
 * rebuilt as {@code q·(d·sc) − dmin·m} with one FMA and multiplied into F32 activations. The
 * scales and mins of a super-block are decoded once, with word arithmetic, into one vector.
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
                    ((FloatVector) lo.convertShape(VectorOperators.I2F, F, 0)).mul(d1).sub(m1).intoArray(dst, y + 64 * c + o);
                    ((FloatVector) hi.convertShape(VectorOperators.I2F, F, 0)).mul(d2).sub(m2)
                            .intoArray(dst, y + 64 * c + 32 + o);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        checkArgs(w, offset, count, x, xOffset, "activation");
        // one bounds-checked view of the row, so the reads need only cheap range checks
        MemorySegment row = w.asSlice(offset, (long) (count / QK_K) * BYTES);
        // d·scale_j in 0..7 and −dmin·min_j in 8..15, for the current super-block
        float[] scaleMin = new float[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        for (int b = 0; b < count / QK_K; b++) {
            long at = (long) b * BYTES;
            int xb = xOffset + b * QK_K;
            long head = row.get(LONG, at + 4);
            int tail = row.get(INT, at + 12);
            ByteVector packed = LongVector.broadcast(PACKED, packedScalesK4(head, tail))
                    .withLane(1, packedMinsK4(head, tail)).reinterpretAsBytes();
            float negMin = -half(row, at + 2);
            ((FloatVector) packed.convertShape(VectorOperators.B2F, F, 0))
                    .mul(FloatVector.broadcast(F, half(row, at)).blend(negMin, MIN_LANES)).intoArray(scaleMin, 0);
            if (LANES < 16) {
                storeMins(packed, negMin, scaleMin);
            }
            // Each weight is q·(d·sc) − dmin·m with one FMA, times x with another; the fifth bit
            // comes from qh, shifted to bit 4 by a per-chunk constant. The loop runs over the
            // parts of a chunk so that each qh vector is loaded and widened once for all four
            // chunks, which are written out inside it. Few widenings keep the method under C2's
            // inlining node budget even when the Vector API's shared profiles are polluted by
            // other kernels (over it, C2 boxes the vectors of whole chunks: 2-5x slower).
            for (int o = 0; o < 32; o += LANES) {
                IntVector h = (IntVector) ByteVector.fromMemorySegment(B, row, at + 16 + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                // chunk 0: sub-blocks 0 (low nibbles, qh bit 0) and 1 (high nibbles, qh bit 1)
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, row, at + 48 + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = (FloatVector) v.and(0xF).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10))
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4)
                        .or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0);
                acc0 = lo.fma(scaleMin[0], scaleMin[8]).fma(FloatVector.fromArray(F, x, xb + o), acc0);
                acc1 = hi.fma(scaleMin[1], scaleMin[9]).fma(FloatVector.fromArray(F, x, xb + 32 + o), acc1);
                // chunk 1: sub-blocks 2 (low nibbles, qh bit 2) and 3 (high nibbles, qh bit 3)
                v = (IntVector) ByteVector.fromMemorySegment(B, row, at + 80 + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = (FloatVector) v.and(0xF).or(h.lanewise(VectorOperators.LSHL, 2).and(0x10))
                        .convertShape(VectorOperators.I2F, F, 0);
                hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4)
                        .or(h.lanewise(VectorOperators.LSHL, 1).and(0x10)).convertShape(VectorOperators.I2F, F, 0);
                acc2 = lo.fma(scaleMin[2], scaleMin[10]).fma(FloatVector.fromArray(F, x, xb + 64 + o), acc2);
                acc3 = hi.fma(scaleMin[3], scaleMin[11]).fma(FloatVector.fromArray(F, x, xb + 96 + o), acc3);
                // chunk 2: sub-blocks 4 (low nibbles, qh bit 4) and 5 (high nibbles, qh bit 5)
                v = (IntVector) ByteVector.fromMemorySegment(B, row, at + 112 + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = (FloatVector) v.and(0xF).or(h.and(0x10)).convertShape(VectorOperators.I2F, F, 0);
                hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4)
                        .or(h.lanewise(VectorOperators.LSHR, 1).and(0x10)).convertShape(VectorOperators.I2F, F, 0);
                acc0 = lo.fma(scaleMin[4], scaleMin[12]).fma(FloatVector.fromArray(F, x, xb + 128 + o), acc0);
                acc1 = hi.fma(scaleMin[5], scaleMin[13]).fma(FloatVector.fromArray(F, x, xb + 160 + o), acc1);
                // chunk 3: sub-blocks 6 (low nibbles, qh bit 6) and 7 (high nibbles, qh bit 7)
                v = (IntVector) ByteVector.fromMemorySegment(B, row, at + 144 + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = (FloatVector) v.and(0xF).or(h.lanewise(VectorOperators.LSHR, 2).and(0x10))
                        .convertShape(VectorOperators.I2F, F, 0);
                hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4)
                        .or(h.lanewise(VectorOperators.LSHR, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0);
                acc2 = lo.fma(scaleMin[6], scaleMin[14]).fma(FloatVector.fromArray(F, x, xb + 192 + o), acc2);
                acc3 = hi.fma(scaleMin[7], scaleMin[15]).fma(FloatVector.fromArray(F, x, xb + 224 + o), acc3);
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    /** At 256 bits, the mins of {@code packed} (its second half) times −dmin into lanes 8..15. */
    private static void storeMins(ByteVector packed, float negMin, float[] scaleMin) {
        ((FloatVector) packed.convertShape(VectorOperators.B2F, F, 1)).mul(negMin).intoArray(scaleMin, LANES);
    }
}
