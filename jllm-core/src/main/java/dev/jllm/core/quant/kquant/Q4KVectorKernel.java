package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD kernel of Q4_K. The dot product rebuilds each weight as {@code q·(d·sc) − dmin·m} with one
 * FMA and multiplies it into F32 activations with another; four accumulators hide FMA latency.
 */
final class Q4KVectorKernel extends VectorKernel {
    private static final int BYTES = 144;

    /** A whole 32-byte chunk of {@code qs}. */
    private static final VectorSpecies<Byte> CHUNK = ByteVector.SPECIES_256;

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
                // multiply then subtract, as GGML does, so values match the reference exactly
                FloatVector d1 = FloatVector.broadcast(F, d * sc[2 * c]);
                FloatVector m1 = FloatVector.broadcast(F, min * mn[2 * c]);
                FloatVector d2 = FloatVector.broadcast(F, d * sc[2 * c + 1]);
                FloatVector m2 = FloatVector.broadcast(F, min * mn[2 * c + 1]);
                long qs = at + 16 + 32 * c;
                for (int off = 0; off < 32; off += LANES) {
                    ByteVector q = loadBytes(src, qs + off);
                    FloatVector lo = toFloats(q.and((byte) 0xF));
                    FloatVector hi = toFloats(highNibbles(q));
                    lo.mul(d1).sub(m1).intoArray(dst, y + 64 * c + off);
                    hi.mul(d2).sub(m2).intoArray(dst, y + 64 * c + 32 + off);
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
                // one 32-byte load per chunk; its nibbles widen a vector's worth at a time
                ByteVector q = ByteVector.fromMemorySegment(CHUNK, w, at + 16 + 32 * c, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0xF);
                ByteVector hi = chunkHighNibbles(q);
                for (int p = 0; p < 32 / LANES; p += 2) {
                    int o = p * LANES;
                    FloatVector lo0 = (FloatVector) lo.convertShape(VectorOperators.B2F, F, p);
                    FloatVector lo1 = (FloatVector) lo.convertShape(VectorOperators.B2F, F, p + 1);
                    FloatVector hi0 = (FloatVector) hi.convertShape(VectorOperators.B2F, F, p);
                    FloatVector hi1 = (FloatVector) hi.convertShape(VectorOperators.B2F, F, p + 1);
                    acc0 = lo0.fma(d1, m1).fma(FloatVector.fromArray(F, x, xc + o), acc0);
                    acc1 = lo1.fma(d1, m1).fma(FloatVector.fromArray(F, x, xc + o + LANES), acc1);
                    acc2 = hi0.fma(d2, m2).fma(FloatVector.fromArray(F, x, xc + 32 + o), acc2);
                    acc3 = hi1.fma(d2, m2).fma(FloatVector.fromArray(F, x, xc + 32 + o + LANES), acc3);
                }
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    /**
     * High nibbles of a chunk. Kept apart from {@link VectorKernel#highNibbles}, which sees only
     * {@link #B} vectors, so that neither call site's type profile mixes vector shapes (C2 would
     * then box the vectors).
     */
    private static ByteVector chunkHighNibbles(ByteVector q) {
        return q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0xF);
    }
}
