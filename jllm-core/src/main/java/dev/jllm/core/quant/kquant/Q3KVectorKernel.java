package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q3_K: plane {@code j} of a 32-byte row of {@code qs} plus bit {@code 4n + j} of
 * {@code hmask} moved to bit 2, minus 4, times {@code d·(scale − 32)} per group of 16 (see
 * {@link Q3KScalarKernel}).
 */
final class Q3KVectorKernel extends VectorKernel {
    private static final int BYTES = 110;
    /** Lane i holds (i & 7) − 4: the weight that 3-bit lookup index i stands for, before the scale. */
    private static final FloatVector THREE_BIT_CODES = FloatVector.fromArray(F, threeBitCodes(), 0);

    Q3KVectorKernel() {
        super(DType.Q3_K);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        int[] sc = new int[16];
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(src, at + 108);
            unpackQ3(src, at + 96, sc);
            for (int n = 0; n < 2; n++) {
                for (int j = 0; j < 4; j++) {
                    ByteVector q = ByteVector.fromMemorySegment(CHUNK, src, at + 32 + 32 * n, LE)
                            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * j).reinterpretAsBytes()
                            .and((byte) 3)
                            .or(ByteVector.fromMemorySegment(CHUNK, src, at, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, 4 * n + j).reinterpretAsBytes().and((byte) 1)
                                    .reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes())
                            .sub((byte) 4);
                    for (int p = 0; p < PARTS; p++) {
                        float dl = d * sc[8 * n + 2 * j + p * LANES / 16];
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(dl)
                                .intoArray(dst, dstOffset + b * QK_K + 128 * n + 32 * j + p * LANES);
                    }
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        checkArgs(w, offset, count, x, xOffset, "activation");
        if (LANES != 16) {
            return dotByConversion(w, offset, x, xOffset, count);
        }
        // one bounds-checked view of the row, so the reads need only cheap range checks
        MemorySegment row = w.asSlice(offset, (long) (count / QK_K) * BYTES);
        // d·(scale_g − 32) of the sixteen groups of the current super-block
        float[] scale = new float[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        for (int b = 0; b < count / QK_K; b++) {
            long at = (long) b * BYTES;
            int xb = xOffset + b * QK_K;
            // the sixteen 6-bit scales, one per byte: low nibbles from the first eight bytes of
            // the field, top two bits from the last four, with word arithmetic
            long lo = row.get(LONG, at + 96);
            int hi = row.get(INT, at + 104);
            int a0 = (int) lo;
            int a1 = (int) (lo >>> 32);
            int s0 = (a0 & 0x0F0F0F0F) | ((hi & 0x03030303) << 4);
            int s1 = (a1 & 0x0F0F0F0F) | (((hi >>> 2) & 0x03030303) << 4);
            int s2 = ((a0 >>> 4) & 0x0F0F0F0F) | (((hi >>> 4) & 0x03030303) << 4);
            int s3 = ((a1 >>> 4) & 0x0F0F0F0F) | (((hi >>> 6) & 0x03030303) << 4);
            ByteVector packed = LongVector.broadcast(PACKED, (s0 & 0xFFFFFFFFL) | ((long) s1 << 32))
                    .withLane(1, (s2 & 0xFFFFFFFFL) | ((long) s3 << 32)).reinterpretAsBytes();
            ((FloatVector) packed.convertShape(VectorOperators.B2F, F, 0)).sub(32).mul(half(row, at + 108))
                    .intoArray(scale, 0);
            // hmask bit k of a byte, moved to bit k + 2 so that bit 4n + j lands on bit 2 after
            // a right shift by 4n + j: the third bit of the lookup index
            IntVector h0 = ((IntVector) ByteVector.fromMemorySegment(B, row, at, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHL, 2);
            IntVector h1 = ((IntVector) ByteVector.fromMemorySegment(B, row, at + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHL, 2);
            // Each 32-byte half of qs holds four planes of 2-bit codes (128 weights); with the
            // hmask bit a weight's 3-bit index picks entry (i − 4)·d·sc of a per-group table.
            // The planes are written out: C2 compiles a plane loop with more overhead.
            for (int n = 0; n < 2; n++) {
                int g = 8 * n;
                int xn = xb + 128 * n;
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, row, at + 32 + 32 * n, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector v1 = (IntVector) ByteVector.fromMemorySegment(B, row, at + 48 + 32 * n, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector m0 = h0.lanewise(VectorOperators.LSHR, 4 * n);
                IntVector m1 = h1.lanewise(VectorOperators.LSHR, 4 * n);
                // plane 0: groups g (bytes 0..15) and g + 1 (bytes 16..31)
                acc0 = v0.and(3).or(m0.and(4))
                        .selectFrom(THREE_BIT_CODES.mul(scale[g]).reinterpretAsInts()).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xn), acc0);
                acc1 = v1.and(3).or(m1.and(4))
                        .selectFrom(THREE_BIT_CODES.mul(scale[g + 1]).reinterpretAsInts()).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xn + 16), acc1);
                // plane 1: bits 2..3, hmask bit 4n + 1
                acc2 = v0.lanewise(VectorOperators.LSHR, 2).and(3).or(m0.lanewise(VectorOperators.LSHR, 1).and(4))
                        .selectFrom(THREE_BIT_CODES.mul(scale[g + 2]).reinterpretAsInts()).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xn + 32), acc2);
                acc3 = v1.lanewise(VectorOperators.LSHR, 2).and(3).or(m1.lanewise(VectorOperators.LSHR, 1).and(4))
                        .selectFrom(THREE_BIT_CODES.mul(scale[g + 3]).reinterpretAsInts()).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xn + 48), acc3);
                // plane 2: bits 4..5, hmask bit 4n + 2
                acc0 = v0.lanewise(VectorOperators.LSHR, 4).and(3).or(m0.lanewise(VectorOperators.LSHR, 2).and(4))
                        .selectFrom(THREE_BIT_CODES.mul(scale[g + 4]).reinterpretAsInts()).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xn + 64), acc0);
                acc1 = v1.lanewise(VectorOperators.LSHR, 4).and(3).or(m1.lanewise(VectorOperators.LSHR, 2).and(4))
                        .selectFrom(THREE_BIT_CODES.mul(scale[g + 5]).reinterpretAsInts()).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xn + 80), acc1);
                // plane 3: bits 6..7, hmask bit 4n + 3
                acc2 = v0.lanewise(VectorOperators.LSHR, 6).or(m0.lanewise(VectorOperators.LSHR, 3).and(4))
                        .selectFrom(THREE_BIT_CODES.mul(scale[g + 6]).reinterpretAsInts()).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xn + 96), acc2);
                acc3 = v1.lanewise(VectorOperators.LSHR, 6).or(m1.lanewise(VectorOperators.LSHR, 3).and(4))
                        .selectFrom(THREE_BIT_CODES.mul(scale[g + 7]).reinterpretAsInts()).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xn + 112), acc3);
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    /**
     * The dot product below 512 bits, where a 16-entry table does not fit one vector: codes are
     * converted to floats and multiplied by the group's scale.
     */
    private static float dotByConversion(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        int[] sc = new int[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(w, at + 108);
            unpackQ3(w, at + 96, sc);
            for (int n = 0; n < 2; n++) {
                for (int j = 0; j < 4; j++) {
                    ByteVector q = ByteVector.fromMemorySegment(CHUNK, w, at + 32 + 32 * n, LE)
                            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * j).reinterpretAsBytes()
                            .and((byte) 3)
                            .or(ByteVector.fromMemorySegment(CHUNK, w, at, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, 4 * n + j).reinterpretAsBytes().and((byte) 1)
                                    .reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes())
                            .sub((byte) 4);
                    int xj = xOffset + b * QK_K + 128 * n + 32 * j;
                    for (int p = 0; p < PARTS; p++) {
                        float dl = d * sc[8 * n + 2 * j + p * LANES / 16];
                        FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(dl)
                                .fma(FloatVector.fromArray(F, x, xj + p * LANES), acc0);
                        acc0 = acc1;
                        acc1 = t;
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private static float[] threeBitCodes() {
        float[] codes = new float[LANES];
        for (int i = 0; i < LANES; i++) {
            codes[i] = (i & 7) - 4;
        }
        return codes;
    }
}
