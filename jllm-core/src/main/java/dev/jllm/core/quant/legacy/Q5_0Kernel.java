package dev.jllm.core.quant.legacy;

import static dev.jllm.core.quant.legacy.LegacySpecies.BYTES;
import static dev.jllm.core.quant.legacy.LegacySpecies.FLOATS;
import static dev.jllm.core.quant.legacy.LegacySpecies.FLOAT_LANES;
import static dev.jllm.core.quant.legacy.LegacySpecies.HALF;
import static dev.jllm.core.quant.legacy.LegacySpecies.INTS;
import static dev.jllm.core.quant.legacy.LegacySpecies.LANE_BITS;
import static dev.jllm.core.quant.legacy.LegacySpecies.QH;
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
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernels of Q5_0 (22-byte blocks: F16 d, 32 fifth bits qh as a little-endian int (bit j
 * for element j), 16 bytes of low nibbles laid out as Q4_0's; value (q - 16)·d).
 *
 * <p>The F32 dot product on 16 float lanes looks 5-bit codes up in the block's 32 scaled values
 * (one two-vector permute per 16 codes); elsewhere, and in dequantization, codes are decoded as
 * {@link Q4_0Kernel} decodes them, each lane's fifth bit tested against qh shifted to the part's
 * first element and OR-ed in under the resulting mask.
 */
final class Q5_0Kernel implements WeightKernel {
    private static final DType TYPE = DType.Q5_0;
    private static final int BLOCK_BYTES = 22;
    /** Lanes k: k - 16 and k, the code values before scaling (16 lanes; null on narrower species). */
    private static final FloatVector CODES_LOW = codes(-16);
    private static final FloatVector CODES_HIGH = codes(0);
    /** Lane j: the left rotation taking qh's bit j (element j's fifth bit) to bit 4. */
    private static final IntVector ROTATE_LOW = rotations(4);
    /** Lane j: the left rotation taking qh's bit 16 + j (element 16 + j's fifth bit) to bit 4. */
    private static final IntVector ROTATE_HIGH = rotations(20);
    private final DType activationType;

    /** Kernels whose {@link #activationType()} is {@code activationType} (null: F32 activations). */
    Q5_0Kernel(DType activationType) {
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
            int qh = src.get(QH, o + 2);
            ByteVector qs = ByteVector.fromMemorySegment(BYTES, src, o + 6, ByteOrder.LITTLE_ENDIAN);
            int y = dstOffset + b * 32;
            for (int p = 0; p < PARTS; p++) {
                IntVector q = (IntVector) qs.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
                VectorMask<Integer> loBit = IntVector.broadcast(INTS, qh >>> (p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                VectorMask<Integer> hiBit = IntVector.broadcast(INTS, qh >>> (16 + p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                FloatVector lo = q.and(0x0F).or(TWO_POW_23_BITS).lanewise(VectorOperators.OR, 16, loBit)
                        .reinterpretAsFloats().sub(TWO_POW_23 + 16);
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4).or(TWO_POW_23_BITS)
                        .lanewise(VectorOperators.OR, 16, hiBit).reinterpretAsFloats().sub(TWO_POW_23 + 16);
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
     * 16 float lanes: a block's 32 possible values (q - 16)·d are made in two vectors, and each
     * half-block of 5-bit codes becomes its values in one two-vector permute. A lane's fifth bit
     * is moved to bit 4 by rotating qh left by a per-lane amount, so no masks are needed.
     */
    private static float dotByTable(MemorySegment w, long offset, float[] x, int xOffset, int blocks) {
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xo = xOffset + b * 32;
            float d = HalfFloatTable.of(w.get(HALF, o));
            IntVector valuesLow = CODES_LOW.mul(d).reinterpretAsInts();
            IntVector valuesHigh = CODES_HIGH.mul(d).reinterpretAsInts();
            IntVector qh = IntVector.broadcast(INTS, w.get(QH, o + 2));
            IntVector q = (IntVector) ByteVector.fromMemorySegment(BYTES, w, o + 6, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
            // bit 4 from qh, the rest from the code byte (one ternary-logic instruction): its high
            // nibble lands in bits 5..7, which selectFrom drops by reducing indexes modulo 32
            IntVector low = q.lanewise(VectorOperators.BITWISE_BLEND,
                    qh.lanewise(VectorOperators.ROL, ROTATE_LOW), 0x10);
            IntVector high = q.lanewise(VectorOperators.LSHR, 4)
                    .or(qh.lanewise(VectorOperators.ROL, ROTATE_HIGH).and(0x10));
            acc0 = low.selectFrom(valuesLow, valuesHigh).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(FLOATS, x, xo), acc0);
            acc1 = high.selectFrom(valuesLow, valuesHigh).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(FLOATS, x, xo + 16), acc1);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** Fewer than 16 float lanes: codes become floats through the bits of 2^23, fifth bits OR-ed under masks. */
    private static float dotByBits(MemorySegment w, long offset, float[] x, int xOffset, int blocks) {
        FloatVector acc = FloatVector.zero(FLOATS);
        // one block per iteration, written out in the loop: C2 refuses to inline a vector helper
        // this large once compiled, and vectors crossing a call are boxed
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xo = xOffset + b * 32;
            float d = HalfFloatTable.of(w.get(HALF, o));
            int qh = w.get(QH, o + 2);
            ByteVector qs = ByteVector.fromMemorySegment(BYTES, w, o + 6, ByteOrder.LITTLE_ENDIAN);
            FloatVector s = FloatVector.zero(FLOATS);
            for (int p = 0; p < PARTS; p++) {
                IntVector q = (IntVector) qs.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
                VectorMask<Integer> loBit = IntVector.broadcast(INTS, qh >>> (p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                VectorMask<Integer> hiBit = IntVector.broadcast(INTS, qh >>> (16 + p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                FloatVector lo = q.and(0x0F).or(TWO_POW_23_BITS).lanewise(VectorOperators.OR, 16, loBit)
                        .reinterpretAsFloats().sub(TWO_POW_23 + 16);
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4).or(TWO_POW_23_BITS)
                        .lanewise(VectorOperators.OR, 16, hiBit).reinterpretAsFloats().sub(TWO_POW_23 + 16);
                s = lo.fma(FloatVector.fromArray(FLOATS, x, xo + p * FLOAT_LANES), s);
                s = hi.fma(FloatVector.fromArray(FLOATS, x, xo + 16 + p * FLOAT_LANES), s);
            }
            acc = s.fma(FloatVector.broadcast(FLOATS, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * As llama.cpp: Σ over blocks of dw·dx · Σ (q - 16)·qx.
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
            int qh = w.get(QH, o + 2);
            ByteVector qs = ByteVector.fromMemorySegment(BYTES, w, o + 6, ByteOrder.LITTLE_ENDIAN);
            ByteVector xl = ByteVector.fromArray(BYTES, xq, xb * 32);
            ByteVector xh = ByteVector.fromArray(BYTES, xq, xb * 32 + 16);
            for (int p = 0; p < PARTS; p++) {
                IntVector q = (IntVector) qs.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
                VectorMask<Integer> loBit = IntVector.broadcast(INTS, qh >>> (p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                VectorMask<Integer> hiBit = IntVector.broadcast(INTS, qh >>> (16 + p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                FloatVector lo = q.and(0x0F).or(TWO_POW_23_BITS).lanewise(VectorOperators.OR, 16, loBit)
                        .reinterpretAsFloats().sub(TWO_POW_23 + 16);
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4).or(TWO_POW_23_BITS)
                        .lanewise(VectorOperators.OR, 16, hiBit).reinterpretAsFloats().sub(TWO_POW_23 + 16);
                FloatVector s = lo.mul((FloatVector) xl.convertShape(VectorOperators.B2F, FLOATS, p));
                s = hi.fma((FloatVector) xh.convertShape(VectorOperators.B2F, FLOATS, p), s);
                acc = s.fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Lane k holds first + k; null on species other than 16 float lanes, where it is not used. */
    private static FloatVector codes(int first) {
        if (FLOAT_LANES != 16) {
            return null;
        }
        float[] v = new float[16];
        for (int k = 0; k < 16; k++) {
            v[k] = first + k;
        }
        return FloatVector.fromArray(FLOATS, v, 0);
    }

    /** Lane j holds (base - j) mod 32; null on species other than 16 float lanes. */
    private static IntVector rotations(int base) {
        if (FLOAT_LANES != 16) {
            return null;
        }
        int[] r = new int[16];
        for (int j = 0; j < 16; j++) {
            r[j] = (base - j) & 31;
        }
        return IntVector.fromArray(INTS, r, 0);
    }
}
