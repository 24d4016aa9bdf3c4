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
 * nibbles), read {@link #LANES} bytes at a time and widened to ints. At 512 bits the dot product
 * looks each weight up in a per-sub-block table of the sixteen values {@code q·(d·sc) − dmin·m}
 * (one FMA builds a table; the lookup replaces the int-to-float conversion, the nibble mask and
 * the scale FMA) and multiplies it into F32 activations with one FMA, over four rotating
 * accumulators: about four vector operations per sixteen weights. At 256 bits it converts the
 * nibbles and rebuilds the weight with an FMA instead. Dequantization keeps GGML's order of
 * operations, so its values match the reference exactly.
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
                    ((FloatVector) v.and(0xF).convertShape(VectorOperators.I2F, F, 0)).mul(d1).sub(m1)
                            .intoArray(dst, y + 64 * c + o);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(0xF).convertShape(VectorOperators.I2F, F, 0))
                            .mul(d2).sub(m2).intoArray(dst, y + 64 * c + 32 + o);
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
        FloatVector t1;
        FloatVector t2;
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
            // Each chunk of 32 code bytes holds two sub-blocks. At 512 bits a sub-block's weights
            // come from a 16-float lookup table, entry q = q·(d·sc) − dmin·m, whose index wrap to
            // 16 also cuts the low nibble. At 256 bits the table would take a two-vector lookup,
            // which C2 may not intrinsify there (100x slower), so the weight is rebuilt with a
            // conversion and an FMA. The four chunks are written out: C2 compiles a chunk loop with
            // far more overhead.
            // chunk 0: sub-blocks 0 (low nibbles) and 1 (high nibbles)
            t1 = CODES_LOW.fma(scaleMin[0], scaleMin[8]);
            t2 = CODES_LOW.fma(scaleMin[1], scaleMin[9]);
            for (int o = 0; o < 32; o += LANES) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, row, at + 16 + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = LANES == 16 ? v.selectFrom(t1.reinterpretAsInts()).reinterpretAsFloats()
                        : ((FloatVector) v.and(0xF).convertShape(VectorOperators.I2F, F, 0)).fma(scaleMin[0], scaleMin[8]);
                FloatVector hi = LANES == 16
                        ? v.lanewise(VectorOperators.LSHR, 4).selectFrom(t2.reinterpretAsInts()).reinterpretAsFloats()
                        : ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0))
                                .fma(scaleMin[1], scaleMin[9]);
                FloatVector s0 = lo.fma(FloatVector.fromArray(F, x, xb + o), acc0);
                FloatVector s1 = hi.fma(FloatVector.fromArray(F, x, xb + 32 + o), acc1);
                acc0 = acc2;
                acc1 = acc3;
                acc2 = s0;
                acc3 = s1;
            }
            // chunk 1: sub-blocks 2 (low nibbles) and 3 (high nibbles)
            t1 = CODES_LOW.fma(scaleMin[2], scaleMin[10]);
            t2 = CODES_LOW.fma(scaleMin[3], scaleMin[11]);
            for (int o = 0; o < 32; o += LANES) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, row, at + 48 + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = LANES == 16 ? v.selectFrom(t1.reinterpretAsInts()).reinterpretAsFloats()
                        : ((FloatVector) v.and(0xF).convertShape(VectorOperators.I2F, F, 0)).fma(scaleMin[2], scaleMin[10]);
                FloatVector hi = LANES == 16
                        ? v.lanewise(VectorOperators.LSHR, 4).selectFrom(t2.reinterpretAsInts()).reinterpretAsFloats()
                        : ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0))
                                .fma(scaleMin[3], scaleMin[11]);
                FloatVector s0 = lo.fma(FloatVector.fromArray(F, x, xb + 64 + o), acc0);
                FloatVector s1 = hi.fma(FloatVector.fromArray(F, x, xb + 96 + o), acc1);
                acc0 = acc2;
                acc1 = acc3;
                acc2 = s0;
                acc3 = s1;
            }
            // chunk 2: sub-blocks 4 (low nibbles) and 5 (high nibbles)
            t1 = CODES_LOW.fma(scaleMin[4], scaleMin[12]);
            t2 = CODES_LOW.fma(scaleMin[5], scaleMin[13]);
            for (int o = 0; o < 32; o += LANES) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, row, at + 80 + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = LANES == 16 ? v.selectFrom(t1.reinterpretAsInts()).reinterpretAsFloats()
                        : ((FloatVector) v.and(0xF).convertShape(VectorOperators.I2F, F, 0)).fma(scaleMin[4], scaleMin[12]);
                FloatVector hi = LANES == 16
                        ? v.lanewise(VectorOperators.LSHR, 4).selectFrom(t2.reinterpretAsInts()).reinterpretAsFloats()
                        : ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0))
                                .fma(scaleMin[5], scaleMin[13]);
                FloatVector s0 = lo.fma(FloatVector.fromArray(F, x, xb + 128 + o), acc0);
                FloatVector s1 = hi.fma(FloatVector.fromArray(F, x, xb + 160 + o), acc1);
                acc0 = acc2;
                acc1 = acc3;
                acc2 = s0;
                acc3 = s1;
            }
            // chunk 3: sub-blocks 6 (low nibbles) and 7 (high nibbles)
            t1 = CODES_LOW.fma(scaleMin[6], scaleMin[14]);
            t2 = CODES_LOW.fma(scaleMin[7], scaleMin[15]);
            for (int o = 0; o < 32; o += LANES) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, row, at + 112 + o, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = LANES == 16 ? v.selectFrom(t1.reinterpretAsInts()).reinterpretAsFloats()
                        : ((FloatVector) v.and(0xF).convertShape(VectorOperators.I2F, F, 0)).fma(scaleMin[6], scaleMin[14]);
                FloatVector hi = LANES == 16
                        ? v.lanewise(VectorOperators.LSHR, 4).selectFrom(t2.reinterpretAsInts()).reinterpretAsFloats()
                        : ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0))
                                .fma(scaleMin[7], scaleMin[15]);
                FloatVector s0 = lo.fma(FloatVector.fromArray(F, x, xb + 192 + o), acc0);
                FloatVector s1 = hi.fma(FloatVector.fromArray(F, x, xb + 224 + o), acc1);
                acc0 = acc2;
                acc1 = acc3;
                acc2 = s0;
                acc3 = s1;
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    /** At 256 bits, the mins of {@code packed} (its second half) times −dmin into lanes 8..15. */
    private static void storeMins(ByteVector packed, float negMin, float[] scaleMin) {
        ((FloatVector) packed.convertShape(VectorOperators.B2F, F, 1)).mul(negMin).intoArray(scaleMin, LANES);
    }
}
