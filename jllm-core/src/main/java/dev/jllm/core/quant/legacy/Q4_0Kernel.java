package dev.jllm.core.quant.legacy;

import static dev.jllm.core.quant.legacy.LegacySpecies.BYTES;
import static dev.jllm.core.quant.legacy.LegacySpecies.FLOATS;
import static dev.jllm.core.quant.legacy.LegacySpecies.FLOAT_LANES;
import static dev.jllm.core.quant.legacy.LegacySpecies.HALF;
import static dev.jllm.core.quant.legacy.LegacySpecies.INTS;
import static dev.jllm.core.quant.legacy.LegacySpecies.PARTS;
import static dev.jllm.core.quant.legacy.LegacySpecies.TWO_POW_23;
import static dev.jllm.core.quant.legacy.LegacySpecies.TWO_POW_23_BITS;

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
 * <p>How the dot product runs (each step measured faster than its alternatives): the 16 code
 * bytes are zero-extended to ints once and both nibbles cut out there (x86 cannot shift bytes);
 * on 16 float lanes each nibble indexes a permute of the block's 16 scaled values (q - 8)·d, so
 * codes become scaled weights in one instruction; on narrower species codes become floats by
 * OR-ing them into the bits of 2^23 (see {@link LegacySpecies#TWO_POW_23}). Scales are read
 * through {@link HalfFloatTable}.
 */
final class Q4_0Kernel implements WeightKernel {
    private static final DType TYPE = DType.Q4_0;
    private static final int BLOCK_BYTES = 18;
    /** Lane k holds k - 8, the value of code k before scaling (16 lanes; null on narrower species). */
    private static final FloatVector CODE_VALUES = FLOAT_LANES == 16
            ? FloatVector.fromArray(FLOATS, new float[] {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7}, 0)
            : null;
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
                IntVector q = (IntVector) qs.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
                FloatVector lo = q.and(0x0F).or(TWO_POW_23_BITS).reinterpretAsFloats().sub(TWO_POW_23 + 8);
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4).or(TWO_POW_23_BITS).reinterpretAsFloats()
                        .sub(TWO_POW_23 + 8);
                lo.mul(d).intoArray(dst, y + p * FLOAT_LANES);
                hi.mul(d).intoArray(dst, y + 16 + p * FLOAT_LANES);
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        int blocks = KernelArguments.blocks(TYPE, count);
        KernelArguments.checkBlocks(TYPE, w, offset, blocks);
        KernelArguments.checkFloats("x", x, xOffset, count);
        return FLOAT_LANES == 16 ? dotByTable(w, offset, x, xOffset, blocks) : dotByBits(w, offset, x, xOffset, blocks);
    }

    /**
     * 16 float lanes: a block's 16 possible values (q - 8)·d are made in one multiply, and each
     * half-block of codes becomes its values in one permute, FMA-ed into the half's accumulator.
     * One block per iteration: C2 unrolls this loop itself, and it measured faster than two or four
     * blocks written out (which spill registers).
     */
    private static float dotByTable(MemorySegment w, long offset, float[] x, int xOffset, int blocks) {
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xo = xOffset + b * 32;
            IntVector values = CODE_VALUES.mul(HalfFloatTable.of(w.get(HALF, o))).reinterpretAsInts();
            IntVector q = (IntVector) ByteVector.fromMemorySegment(BYTES, w, o + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
            acc0 = q.and(0x0F).selectFrom(values).reinterpretAsFloats().fma(FloatVector.fromArray(FLOATS, x, xo), acc0);
            acc1 = q.lanewise(VectorOperators.LSHR, 4).selectFrom(values).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(FLOATS, x, xo + 16), acc1);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** Fewer than 16 float lanes: codes become floats through the bits of 2^23, each part widened apart. */
    private static float dotByBits(MemorySegment w, long offset, float[] x, int xOffset, int blocks) {
        FloatVector acc = FloatVector.zero(FLOATS);
        // one block per iteration, written out in the loop: C2 refuses to inline a vector helper
        // this large once compiled, and vectors crossing a call are boxed
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xo = xOffset + b * 32;
            float d = HalfFloatTable.of(w.get(HALF, o));
            ByteVector qs = ByteVector.fromMemorySegment(BYTES, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            FloatVector s = FloatVector.zero(FLOATS);
            for (int p = 0; p < PARTS; p++) {
                IntVector q = (IntVector) qs.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
                FloatVector lo = q.and(0x0F).or(TWO_POW_23_BITS).reinterpretAsFloats().sub(TWO_POW_23 + 8);
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4).or(TWO_POW_23_BITS).reinterpretAsFloats()
                        .sub(TWO_POW_23 + 8);
                s = lo.fma(FloatVector.fromArray(FLOATS, x, xo + p * FLOAT_LANES), s);
                s = hi.fma(FloatVector.fromArray(FLOATS, x, xo + 16 + p * FLOAT_LANES), s);
            }
            acc = s.fma(FloatVector.broadcast(FLOATS, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * As llama.cpp: Σ over blocks of dw·dx · Σ (q - 8)·qx.
     * The codes are multiplied as floats: each lane's products and their sum are small integers,
     * so exact, as in an integer dot product.
     */
    @Override
    public float dotQuantized(MemorySegment w, long offset, QuantizedActivations x, int xOffset, int count) {
        int blocks = KernelArguments.blocks(TYPE, count);
        KernelArguments.checkBlocks(TYPE, w, offset, blocks);
        KernelArguments.checkActivations(TYPE, x, xOffset, count, false);
        byte[] xq = x.qs;
        float[] xd = x.scales;
        FloatVector acc = FloatVector.zero(FLOATS);
        int xb0 = xOffset / 32;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xb = xb0 + b;
            FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(w.get(HALF, o)) * xd[xb]);
            ByteVector qs = ByteVector.fromMemorySegment(BYTES, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector xl = ByteVector.fromArray(BYTES, xq, xb * 32);
            ByteVector xh = ByteVector.fromArray(BYTES, xq, xb * 32 + 16);
            for (int p = 0; p < PARTS; p++) {
                IntVector q = (IntVector) qs.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
                FloatVector lo = q.and(0x0F).or(TWO_POW_23_BITS).reinterpretAsFloats().sub(TWO_POW_23 + 8);
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4).or(TWO_POW_23_BITS).reinterpretAsFloats()
                        .sub(TWO_POW_23 + 8);
                FloatVector s = lo.mul((FloatVector) xl.convertShape(VectorOperators.B2F, FLOATS, p));
                s = hi.fma((FloatVector) xh.convertShape(VectorOperators.B2F, FLOATS, p), s);
                acc = s.fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
