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
 * SIMD kernels of Q5_1 (24-byte blocks: F16 d, F16 m, 32 fifth bits qh as a little-endian int
 * (bit j for element j), 16 bytes of low nibbles laid out as Q4_0's; value q·d + m).
 */
final class Q5_1Kernel implements WeightKernel {
    private static final DType TYPE = DType.Q5_1;
    private static final int BLOCK_BYTES = 24;
    private final DType activationType;

    /** Kernels whose {@link #activationType()} is {@code activationType} (null: F32 activations). */
    Q5_1Kernel(DType activationType) {
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
            FloatVector m = FloatVector.broadcast(FLOATS, Float.float16ToFloat(src.get(HALF, o + 2)));
            int qh = src.get(QH, o + 4);
            ByteVector qs = ByteVector.fromMemorySegment(BYTES, src, o + 8, ByteOrder.LITTLE_ENDIAN);
            int y = dstOffset + b * 32;
            // multiply then add, rounding twice as GGML's dequantize_row does
            for (int p = 0; p < PARTS; p++) {
                IntVector q = (IntVector) qs.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
                VectorMask<Integer> loBit = IntVector.broadcast(INTS, qh >>> (p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                VectorMask<Integer> hiBit = IntVector.broadcast(INTS, qh >>> (16 + p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                FloatVector lo = q.and(0x0F).or(TWO_POW_23_BITS).lanewise(VectorOperators.OR, 16, loBit)
                        .reinterpretAsFloats().sub(TWO_POW_23);
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4).or(TWO_POW_23_BITS)
                        .lanewise(VectorOperators.OR, 16, hiBit).reinterpretAsFloats().sub(TWO_POW_23);
                lo.mul(d).add(m).intoArray(dst, y + p * FLOAT_LANES);
                hi.mul(d).add(m).intoArray(dst, y + 16 + p * FLOAT_LANES);
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        int blocks = KernelArguments.blocks(TYPE, count);
        KernelArguments.checkBlocks(TYPE, w, offset, blocks);
        KernelArguments.checkFloats("x", x, xOffset, count);
        FloatVector acc = FloatVector.zero(FLOATS);
        FloatVector accHigh = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xo = xOffset + b * 32;
            FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(w.get(HALF, o)));
            FloatVector m = FloatVector.broadcast(FLOATS, Float.float16ToFloat(w.get(HALF, o + 2)));
            int qh = w.get(QH, o + 4);
            ByteVector qs = ByteVector.fromMemorySegment(BYTES, w, o + 8, ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < PARTS; p++) {
                IntVector q = (IntVector) qs.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
                VectorMask<Integer> loBit = IntVector.broadcast(INTS, qh >>> (p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                VectorMask<Integer> hiBit = IntVector.broadcast(INTS, qh >>> (16 + p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                FloatVector lo = q.and(0x0F).or(TWO_POW_23_BITS).lanewise(VectorOperators.OR, 16, loBit)
                        .reinterpretAsFloats().sub(TWO_POW_23);
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4).or(TWO_POW_23_BITS)
                        .lanewise(VectorOperators.OR, 16, hiBit).reinterpretAsFloats().sub(TWO_POW_23);
                // weights dequantized in registers (one fma each), then one fma per activation:
                // cheaper than keeping Σq·x and Σx apart and scaling both per block
                acc = lo.fma(d, m).fma(FloatVector.fromArray(FLOATS, x, xo + p * FLOAT_LANES), acc);
                accHigh = hi.fma(d, m).fma(FloatVector.fromArray(FLOATS, x, xo + 16 + p * FLOAT_LANES), accHigh);
            }
        }
        return acc.add(accHigh).reduceLanes(VectorOperators.ADD);
    }

    /**
     * As llama.cpp: Σ over blocks of dw·dx · Σ q·qx + m·(dx·Σqx).
     * The codes are multiplied as floats: each lane's products and their sum are small integers,
     * so exact, as in an integer dot product.
     */
    @Override
    public float dotQuantized(MemorySegment w, long offset, QuantizedActivations x, int xOffset, int count) {
        int blocks = KernelArguments.blocks(TYPE, count);
        KernelArguments.checkBlocks(TYPE, w, offset, blocks);
        KernelArguments.checkActivations(TYPE, x, xOffset, count, true);
        byte[] xq = x.qs;
        float[] xd = x.scales;
        float[] xs = x.blockSums;
        FloatVector acc = FloatVector.zero(FLOATS);
        float minSum = 0f;
        int xb0 = xOffset / 32;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BLOCK_BYTES;
            int xb = xb0 + b;
            FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(w.get(HALF, o)) * xd[xb]);
            minSum += Float.float16ToFloat(w.get(HALF, o + 2)) * xs[xb];
            int qh = w.get(QH, o + 4);
            ByteVector qs = ByteVector.fromMemorySegment(BYTES, w, o + 8, ByteOrder.LITTLE_ENDIAN);
            ByteVector xl = ByteVector.fromArray(BYTES, xq, xb * 32);
            ByteVector xh = ByteVector.fromArray(BYTES, xq, xb * 32 + 16);
            for (int p = 0; p < PARTS; p++) {
                IntVector q = (IntVector) qs.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
                VectorMask<Integer> loBit = IntVector.broadcast(INTS, qh >>> (p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                VectorMask<Integer> hiBit = IntVector.broadcast(INTS, qh >>> (16 + p * FLOAT_LANES)).and(LANE_BITS)
                        .compare(VectorOperators.NE, 0);
                FloatVector lo = q.and(0x0F).or(TWO_POW_23_BITS).lanewise(VectorOperators.OR, 16, loBit)
                        .reinterpretAsFloats().sub(TWO_POW_23);
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4).or(TWO_POW_23_BITS)
                        .lanewise(VectorOperators.OR, 16, hiBit).reinterpretAsFloats().sub(TWO_POW_23);
                FloatVector s = lo.mul((FloatVector) xl.convertShape(VectorOperators.B2F, FLOATS, p));
                s = hi.fma((FloatVector) xh.convertShape(VectorOperators.B2F, FLOATS, p), s);
                acc = s.fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) + minSum;
    }
}
