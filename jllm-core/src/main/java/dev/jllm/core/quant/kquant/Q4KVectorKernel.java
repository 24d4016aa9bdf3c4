package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
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
        // one bounds-checked view for the whole row, so the loop's reads need no per-block checks
        MemorySegment row = w.asSlice(offset, (long) (count / QK_K) * BYTES);
        // d·scale_j in lanes 0..7, −dmin·min_j in lanes 8..15 of the current super-block
        float[] scaleMin = new float[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        // one flat loop over 32-byte chunks (4 per super-block, sub-blocks 2c and 2c+1): C2 compiles
        // it tighter than nested block/chunk loops
        for (int k = 0; k < count / 64; k++) {
            int c = k & 3;
            long at = (long) (k >>> 2) * BYTES;
            if (c == 0) {
                long lo = row.get(LONG, at + 4);
                int hi = row.get(INT, at + 12);
                ByteVector packed = LongVector.broadcast(PACKED, packedScalesK4(lo, hi))
                        .withLane(1, packedMinsK4(lo, hi)).reinterpretAsBytes();
                float d = half(row, at);
                float negMin = -half(row, at + 2);
                // one part at 512 bits (scales and mins), two at 256; a branch on LANES instead
                // measured 30% slower at 512 bits even though it is never taken
                for (int p = 0; p < 16 / LANES; p++) {
                    FloatVector dm = FloatVector.broadcast(F, d).blend(negMin, p == 0 ? MIN_LANES : F.maskAll(true));
                    ((FloatVector) packed.convertShape(VectorOperators.B2F, F, p)).mul(dm).intoArray(scaleMin, p * LANES);
                }
            }
            // lookup tables of the two sub-blocks: entry q holds q·(d·sc) − dmin·m (two vectors of
            // eight at 256 bits; at 512 bits one of sixteen, passed twice)
            FloatVector t1 = CODES_LOW.fma(scaleMin[2 * c], scaleMin[8 + 2 * c]);
            FloatVector t2 = CODES_LOW.fma(scaleMin[2 * c + 1], scaleMin[9 + 2 * c]);
            FloatVector t1High = LANES == 16 ? t1 : CODES_HIGH.fma(scaleMin[2 * c], scaleMin[8 + 2 * c]);
            FloatVector t2High = LANES == 16 ? t2 : CODES_HIGH.fma(scaleMin[2 * c + 1], scaleMin[9 + 2 * c]);
            int xc = xOffset + 64 * k;
            for (int o = 0; o < 32; o += LANES) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, row, at + 16 + 32 * c + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                // the lookup wraps indices to 2·LANES, which at 256 bits cuts the low nibble and
                // at 512 bits lands bit 4 on the duplicate table
                FloatVector lo = v.selectFrom(t1.reinterpretAsInts(), t1High.reinterpretAsInts())
                        .reinterpretAsFloats();
                FloatVector hi = v.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(t2.reinterpretAsInts(), t2High.reinterpretAsInts()).reinterpretAsFloats();
                FloatVector s0 = lo.fma(FloatVector.fromArray(F, x, xc + o), acc0);
                FloatVector s1 = hi.fma(FloatVector.fromArray(F, x, xc + 32 + o), acc1);
                // rotate so consecutive vectors feed different accumulators
                acc0 = acc2;
                acc1 = acc3;
                acc2 = s0;
                acc3 = s1;
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }
}
