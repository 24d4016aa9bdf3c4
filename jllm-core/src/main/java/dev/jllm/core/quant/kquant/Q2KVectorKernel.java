package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q2_K: plane {@code j} of a 32-byte row of {@code qs} holds 32 two-bit values,
 * rebuilt as {@code q·(d·sc) − dmin·m} per group of 16 (see {@link Q2KScalarKernel}).
 */
final class Q2KVectorKernel extends VectorKernel {
    private static final int BYTES = 84;
    /** Lane i holds i & 3: the 2-bit code that lookup index i stands for. */
    private static final FloatVector TWO_BIT_CODES = FloatVector.fromArray(F, twoBitCodes(), 0);

    Q2KVectorKernel() {
        super(DType.Q2_K);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(src, at + 80);
            float min = half(src, at + 82);
            for (int n = 0; n < 2; n++) {
                for (int j = 0; j < 4; j++) {
                    ByteVector q = ByteVector.fromMemorySegment(CHUNK, src, at + 16 + 32 * n, LE)
                            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * j).reinterpretAsBytes()
                            .and((byte) 3);
                    for (int p = 0; p < PARTS; p++) {
                        int g = 8 * n + 2 * j + p * LANES / 16;
                        int sc = ubyte(src, at + g);
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d * (sc & 0xF))
                                .sub(min * (sc >>> 4)).intoArray(dst, dstOffset + b * QK_K + 128 * n + 32 * j + p * LANES);
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
        // d·sc_g and −dmin·m_g of the sixteen groups of the current super-block
        float[] scale = new float[16];
        float[] min = new float[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        for (int b = 0; b < count / QK_K; b++) {
            long at = (long) b * BYTES;
            int xb = xOffset + b * QK_K;
            IntVector packed = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, row, at, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            ((FloatVector) packed.and(0xF).convertShape(VectorOperators.I2F, F, 0)).mul(half(row, at + 80))
                    .intoArray(scale, 0);
            ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0))
                    .mul(-half(row, at + 82)).intoArray(min, 0);
            // Each 32-byte half of qs holds four planes of 2-bit codes (128 weights); a group of
            // 16 weights is looked up in a 16-float table whose entry i is (i & 3)·(d·sc) − dmin·m,
            // so the index wrap to 16 and the table's period cut the plane's two bits without a
            // mask. The planes are written out: C2 compiles a plane loop with more overhead.
            for (int n = 0; n < 2; n++) {
                int g = 8 * n;
                int xn = xb + 128 * n;
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, row, at + 16 + 32 * n, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector v1 = (IntVector) ByteVector.fromMemorySegment(B, row, at + 32 + 32 * n, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                // plane 0: groups g (bytes 0..15) and g + 1 (bytes 16..31)
                acc0 = v0.selectFrom(TWO_BIT_CODES.fma(scale[g], min[g]).reinterpretAsInts()).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xn), acc0);
                acc1 = v1.selectFrom(TWO_BIT_CODES.fma(scale[g + 1], min[g + 1]).reinterpretAsInts())
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xn + 16), acc1);
                // plane 1: bits 2..3
                acc2 = v0.lanewise(VectorOperators.LSHR, 2)
                        .selectFrom(TWO_BIT_CODES.fma(scale[g + 2], min[g + 2]).reinterpretAsInts())
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xn + 32), acc2);
                acc3 = v1.lanewise(VectorOperators.LSHR, 2)
                        .selectFrom(TWO_BIT_CODES.fma(scale[g + 3], min[g + 3]).reinterpretAsInts())
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xn + 48), acc3);
                // plane 2: bits 4..5
                acc0 = v0.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(TWO_BIT_CODES.fma(scale[g + 4], min[g + 4]).reinterpretAsInts())
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xn + 64), acc0);
                acc1 = v1.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(TWO_BIT_CODES.fma(scale[g + 5], min[g + 5]).reinterpretAsInts())
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xn + 80), acc1);
                // plane 3: bits 6..7
                acc2 = v0.lanewise(VectorOperators.LSHR, 6)
                        .selectFrom(TWO_BIT_CODES.fma(scale[g + 6], min[g + 6]).reinterpretAsInts())
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xn + 96), acc2);
                acc3 = v1.lanewise(VectorOperators.LSHR, 6)
                        .selectFrom(TWO_BIT_CODES.fma(scale[g + 7], min[g + 7]).reinterpretAsInts())
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xn + 112), acc3);
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    /**
     * The dot product below 512 bits, where a 16-entry table does not fit one vector: codes are
     * converted to floats and rebuilt with an FMA.
     */
    private static float dotByConversion(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(w, at + 80);
            float min = half(w, at + 82);
            long scales0 = w.get(LONG, at);
            long scales1 = w.get(LONG, at + 8);
            for (int n = 0; n < 2; n++) {
                for (int j = 0; j < 4; j++) {
                    ByteVector q = ByteVector.fromMemorySegment(CHUNK, w, at + 16 + 32 * n, LE)
                            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * j).reinterpretAsBytes()
                            .and((byte) 3);
                    int xj = xOffset + b * QK_K + 128 * n + 32 * j;
                    for (int p = 0; p < PARTS; p++) {
                        int g = 2 * j + p * LANES / 16;
                        int sc = (int) ((n == 0 ? scales0 : scales1) >>> (8 * g)) & 0xFF;
                        FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                                .fma(d * (sc & 0xF), -min * (sc >>> 4))
                                .fma(FloatVector.fromArray(F, x, xj + p * LANES), acc0);
                        acc0 = acc1;
                        acc1 = t;
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private static float[] twoBitCodes() {
        float[] codes = new float[LANES];
        for (int i = 0; i < LANES; i++) {
            codes[i] = i & 3;
        }
        return codes;
    }
}
