package dev.jllm.core.quant.legacy;

import static dev.jllm.core.quant.legacy.LegacySpecies.BYTES;
import static dev.jllm.core.quant.legacy.LegacySpecies.FLOATS;
import static dev.jllm.core.quant.legacy.LegacySpecies.FLOAT_LANES;
import static dev.jllm.core.quant.legacy.LegacySpecies.HALF;
import static dev.jllm.core.quant.legacy.LegacySpecies.INTS;
import static dev.jllm.core.quant.legacy.LegacySpecies.PARTS;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernels of Q4_0 (18-byte blocks: F16 d, 16 bytes of nibbles; element j in the low nibble
 * of byte j, element j + 16 in the high one; value (q - 8)·d).
 *
 * <p>The 16 code bytes are widened to ints once and both nibbles cut out there: cheaper than
 * shifting bytes, which x86 has no instruction for.
 */
final class Q4_0Kernel implements WeightKernel {
    private static final DType TYPE = DType.Q4_0;
    private static final int BLOCK_BYTES = 18;
    private final DType activationType;

    /** Kernels whose {@link #activationType()} is {@code activationType} (null: F32 activations). */
    Q4_0Kernel(DType activationType) {
        this.activationType = activationType;
    }

    @Override
    public DType type() {
        return TYPE;
    }

    @Override
    public DType activationType() {
        return activationType;
    }

    /** Signed codes q - 8 of elements p·lanes.. of the low (elements 0..15) half. */
    private static IntVector low(IntVector bytes) {
        return bytes.and(0x0F).sub(8);
    }

    /** Signed codes of the high half (elements 16..31); bytes were sign-extended, hence the mask. */
    private static IntVector high(IntVector bytes) {
        return bytes.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        int blocks = KernelArguments.blocks(TYPE, count);
        KernelArguments.checkBlocks(TYPE, src, offset, blocks);
        KernelArguments.checkFloats("dst", dst, dstOffset, count);
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(src.get(HALF, o)));
            ByteVector qs = ByteVector.fromMemorySegment(BYTES, src, o + 2, ByteOrder.LITTLE_ENDIAN);
            int y = dstOffset + b * 32;
            for (int p = 0; p < PARTS; p++) {
                IntVector q = (IntVector) qs.convertShape(VectorOperators.B2I, INTS, p);
                ((FloatVector) low(q).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, y + p * FLOAT_LANES);
                ((FloatVector) high(q).convert(VectorOperators.I2F, 0)).mul(d)
                        .intoArray(dst, y + 16 + p * FLOAT_LANES);
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        int blocks = KernelArguments.blocks(TYPE, count);
        KernelArguments.checkBlocks(TYPE, w, offset, blocks);
        KernelArguments.checkFloats("x", x, xOffset, count);
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        int b = 0;
        // two blocks per iteration into two accumulators hide the latency of the scale fma
        for (; b + 1 < blocks; b += 2) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xo = xOffset + b * 32;
            acc0 = blockDot(w, o, x, xo, acc0);
            acc1 = blockDot(w, o + BLOCK_BYTES, x, xo + 32, acc1);
        }
        if (b < blocks) {
            acc0 = blockDot(w, offset + (long) b * BLOCK_BYTES, x, xOffset + b * 32, acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** acc + d · Σ (q - 8)·x over the block at byte {@code o}, lane-wise. */
    private static FloatVector blockDot(MemorySegment w, long o, float[] x, int xo, FloatVector acc) {
        float d = Float.float16ToFloat(w.get(HALF, o));
        ByteVector qs = ByteVector.fromMemorySegment(BYTES, w, o + 2, ByteOrder.LITTLE_ENDIAN);
        FloatVector s = FloatVector.zero(FLOATS);
        for (int p = 0; p < PARTS; p++) {
            IntVector q = (IntVector) qs.convertShape(VectorOperators.B2I, INTS, p);
            FloatVector lo = (FloatVector) low(q).convert(VectorOperators.I2F, 0);
            FloatVector hi = (FloatVector) high(q).convert(VectorOperators.I2F, 0);
            s = lo.fma(FloatVector.fromArray(FLOATS, x, xo + p * FLOAT_LANES), s);
            s = hi.fma(FloatVector.fromArray(FLOATS, x, xo + 16 + p * FLOAT_LANES), s);
        }
        return s.fma(FloatVector.broadcast(FLOATS, d), acc);
    }

    @Override
    public float dotQuantized(MemorySegment w, long offset, QuantizedActivations x, int xOffset, int count) {
        int blocks = KernelArguments.blocks(TYPE, count);
        KernelArguments.checkBlocks(TYPE, w, offset, blocks);
        KernelArguments.checkActivations(TYPE, x, xOffset, count, false);
        byte[] xq = x.qs;
        float[] xd = x.scales;
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        int xb = xOffset / 32;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long o = offset + (long) b * BLOCK_BYTES;
            acc0 = blockDotQ8(w, o, xq, xd, xb + b, acc0);
            acc1 = blockDotQ8(w, o + BLOCK_BYTES, xq, xd, xb + b + 1, acc1);
        }
        if (b < blocks) {
            acc0 = blockDotQ8(w, offset + (long) b * BLOCK_BYTES, xq, xd, xb + b, acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** acc + dw·dx · Σ (q - 8)·qx over one block, lane-wise; the integer sums are exact. */
    private static FloatVector blockDotQ8(MemorySegment w, long o, byte[] xq, float[] xd, int xb, FloatVector acc) {
        FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(w.get(HALF, o)) * xd[xb]);
        ByteVector qs = ByteVector.fromMemorySegment(BYTES, w, o + 2, ByteOrder.LITTLE_ENDIAN);
        ByteVector xl = ByteVector.fromArray(BYTES, xq, xb * 32);
        ByteVector xh = ByteVector.fromArray(BYTES, xq, xb * 32 + 16);
        for (int p = 0; p < PARTS; p++) {
            IntVector q = (IntVector) qs.convertShape(VectorOperators.B2I, INTS, p);
            IntVector sum = low(q).mul((IntVector) xl.convertShape(VectorOperators.B2I, INTS, p))
                    .add(high(q).mul((IntVector) xh.convertShape(VectorOperators.B2I, INTS, p)));
            acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(d, acc);
        }
        return acc;
    }
}
