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
 * SIMD kernels of Q8_0 (34-byte blocks: F16 d, 32 × int8 q; value q·d).
 *
 * <p>A GEMV goes through {@link #dotRows}, four rows per pass: the per-weight work (widen, convert,
 * FMA) is the same as one row at a time, but four weight streams are read at once, which overlaps
 * the memory reads with the arithmetic better (a median 19% more GB/s from memory at one thread,
 * docs/BENCHMARKS.md; no change in cache).
 */
final class Q8_0Kernel implements WeightKernel {
    private static final DType TYPE = DType.Q8_0;
    private static final int BLOCK_BYTES = 34;
    private final DType activationType;

    /** Kernels whose {@link #activationType()} is {@code activationType} (null: F32 activations). */
    Q8_0Kernel(DType activationType) {
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
            // the access reaching furthest comes first: C2 then hoists the bounds checks out of the loop
            ByteVector hi = ByteVector.fromMemorySegment(BYTES, src, o + 18, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = ByteVector.fromMemorySegment(BYTES, src, o + 2, ByteOrder.LITTLE_ENDIAN);
            FloatVector d = FloatVector.broadcast(FLOATS, HalfFloatTable.of(src.get(HALF, o)));
            int y = dstOffset + b * 32;
            for (int p = 0; p < PARTS; p++) {
                ((FloatVector) lo.convertShape(VectorOperators.B2F, FLOATS, p)).mul(d)
                        .intoArray(dst, y + p * FLOAT_LANES);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, FLOATS, p)).mul(d)
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
        // two blocks per iteration, each scaled into its own accumulator: with one, every block's
        // scaling FMA waited on the previous block's. Written out in the loop: C2 refuses to
        // inline a vector helper once it is compiled large, and vectors crossing a call are boxed
        int pairs = blocks >> 1;
        for (int i = 0; i < pairs; i++) {
            long o = offset + (long) i * (2 * BLOCK_BYTES);
            int xo = xOffset + i * 64;
            // the access reaching furthest comes first: C2 then hoists every bounds check out of the loop
            ByteVector hi1 = ByteVector.fromMemorySegment(BYTES, w, o + BLOCK_BYTES + 18, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo1 = ByteVector.fromMemorySegment(BYTES, w, o + BLOCK_BYTES + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector hi0 = ByteVector.fromMemorySegment(BYTES, w, o + 18, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo0 = ByteVector.fromMemorySegment(BYTES, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            float d1 = HalfFloatTable.of(w.get(HALF, o + BLOCK_BYTES));
            float d0 = HalfFloatTable.of(w.get(HALF, o));
            // the first product is a multiply: starting from a zero vector costs a register copy
            FloatVector s0 = ((FloatVector) lo0.convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, x, xo));
            FloatVector s1 = ((FloatVector) lo1.convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, x, xo + 32));
            for (int p = 0; p < PARTS; p++) {
                if (p > 0) {
                    s0 = ((FloatVector) lo0.convertShape(VectorOperators.B2F, FLOATS, p))
                            .fma(FloatVector.fromArray(FLOATS, x, xo + p * FLOAT_LANES), s0);
                    s1 = ((FloatVector) lo1.convertShape(VectorOperators.B2F, FLOATS, p))
                            .fma(FloatVector.fromArray(FLOATS, x, xo + 32 + p * FLOAT_LANES), s1);
                }
                s0 = ((FloatVector) hi0.convertShape(VectorOperators.B2F, FLOATS, p))
                        .fma(FloatVector.fromArray(FLOATS, x, xo + 16 + p * FLOAT_LANES), s0);
                s1 = ((FloatVector) hi1.convertShape(VectorOperators.B2F, FLOATS, p))
                        .fma(FloatVector.fromArray(FLOATS, x, xo + 48 + p * FLOAT_LANES), s1);
            }
            acc0 = s0.fma(FloatVector.broadcast(FLOATS, d0), acc0);
            acc1 = s1.fma(FloatVector.broadcast(FLOATS, d1), acc1);
        }
        if ((blocks & 1) != 0) {
            long o = offset + (long) (blocks - 1) * BLOCK_BYTES;
            int xo = xOffset + (blocks - 1) * 32;
            float d = HalfFloatTable.of(w.get(HALF, o));
            ByteVector lo = ByteVector.fromMemorySegment(BYTES, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector hi = ByteVector.fromMemorySegment(BYTES, w, o + 18, ByteOrder.LITTLE_ENDIAN);
            FloatVector s = FloatVector.zero(FLOATS);
            for (int p = 0; p < PARTS; p++) {
                s = ((FloatVector) lo.convertShape(VectorOperators.B2F, FLOATS, p))
                        .fma(FloatVector.fromArray(FLOATS, x, xo + p * FLOAT_LANES), s);
                s = ((FloatVector) hi.convertShape(VectorOperators.B2F, FLOATS, p))
                        .fma(FloatVector.fromArray(FLOATS, x, xo + 16 + p * FLOAT_LANES), s);
            }
            acc0 = s.fma(FloatVector.broadcast(FLOATS, d), acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public int rowsPerPass() {
        return FLOAT_LANES == 16 ? 4 : 1;
    }

    /**
     * Four rows per pass on 16 float lanes: each block's two activation vectors are loaded once for
     * the four rows, and the four rows' accumulators are independent chains.
     */
    @Override
    public void dotRows(MemorySegment w, long offset, long rowBytes, int rows,
                        float[] x, int xOffset, int count, float[] y, int yOffset) {
        int blocks = KernelArguments.blocks(TYPE, count);
        KernelArguments.checkRows(TYPE, w, offset, rowBytes, rows, blocks);
        KernelArguments.checkFloats("x", x, xOffset, count);
        KernelArguments.checkFloats("y", y, yOffset, rows);
        int r = 0;
        if (FLOAT_LANES == 16) {
            for (; r + 4 <= rows; r += 4) {
                dot4Rows(w, offset + r * rowBytes, rowBytes, x, xOffset, blocks, y, yOffset + r);
            }
        }
        for (; r < rows; r++) {
            y[yOffset + r] = dot(w, offset + r * rowBytes, x, xOffset, count);
        }
    }

    /**
     * Four rows from byte {@code offset} against x, into {@code y[yOffset .. yOffset + 4)}; its own
     * method so that it is called (and compiled by C2) once per four rows, not once per GEMV chunk.
     */
    private static void dot4Rows(MemorySegment w, long offset, long rowBytes, float[] x, int xOffset, int blocks,
                                 float[] y, int yOffset) {
        long o0 = offset;
        long o1 = o0 + rowBytes;
        long o2 = o1 + rowBytes;
        long o3 = o2 + rowBytes;
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        FloatVector acc2 = FloatVector.zero(FLOATS);
        FloatVector acc3 = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long o = (long) b * BLOCK_BYTES;
            int xo = xOffset + b * 32;
            FloatVector xl = FloatVector.fromArray(FLOATS, x, xo);
            FloatVector xh = FloatVector.fromArray(FLOATS, x, xo + 16);
            // the access reaching furthest comes first: C2 then hoists the bounds checks
            ByteVector h3 = ByteVector.fromMemorySegment(BYTES, w, o3 + o + 18, ByteOrder.LITTLE_ENDIAN);
            ByteVector l3 = ByteVector.fromMemorySegment(BYTES, w, o3 + o + 2, ByteOrder.LITTLE_ENDIAN);
            FloatVector s3 = ((FloatVector) l3.convertShape(VectorOperators.B2F, FLOATS, 0)).mul(xl);
            s3 = ((FloatVector) h3.convertShape(VectorOperators.B2F, FLOATS, 0)).fma(xh, s3);
            acc3 = s3.fma(FloatVector.broadcast(FLOATS, HalfFloatTable.of(w.get(HALF, o3 + o))), acc3);
            ByteVector h2 = ByteVector.fromMemorySegment(BYTES, w, o2 + o + 18, ByteOrder.LITTLE_ENDIAN);
            ByteVector l2 = ByteVector.fromMemorySegment(BYTES, w, o2 + o + 2, ByteOrder.LITTLE_ENDIAN);
            FloatVector s2 = ((FloatVector) l2.convertShape(VectorOperators.B2F, FLOATS, 0)).mul(xl);
            s2 = ((FloatVector) h2.convertShape(VectorOperators.B2F, FLOATS, 0)).fma(xh, s2);
            acc2 = s2.fma(FloatVector.broadcast(FLOATS, HalfFloatTable.of(w.get(HALF, o2 + o))), acc2);
            ByteVector h1 = ByteVector.fromMemorySegment(BYTES, w, o1 + o + 18, ByteOrder.LITTLE_ENDIAN);
            ByteVector l1 = ByteVector.fromMemorySegment(BYTES, w, o1 + o + 2, ByteOrder.LITTLE_ENDIAN);
            FloatVector s1 = ((FloatVector) l1.convertShape(VectorOperators.B2F, FLOATS, 0)).mul(xl);
            s1 = ((FloatVector) h1.convertShape(VectorOperators.B2F, FLOATS, 0)).fma(xh, s1);
            acc1 = s1.fma(FloatVector.broadcast(FLOATS, HalfFloatTable.of(w.get(HALF, o1 + o))), acc1);
            ByteVector h0 = ByteVector.fromMemorySegment(BYTES, w, o0 + o + 18, ByteOrder.LITTLE_ENDIAN);
            ByteVector l0 = ByteVector.fromMemorySegment(BYTES, w, o0 + o + 2, ByteOrder.LITTLE_ENDIAN);
            FloatVector s0 = ((FloatVector) l0.convertShape(VectorOperators.B2F, FLOATS, 0)).mul(xl);
            s0 = ((FloatVector) h0.convertShape(VectorOperators.B2F, FLOATS, 0)).fma(xh, s0);
            acc0 = s0.fma(FloatVector.broadcast(FLOATS, HalfFloatTable.of(w.get(HALF, o0 + o))), acc0);
        }
        y[yOffset] = acc0.reduceLanes(VectorOperators.ADD);
        y[yOffset + 1] = acc1.reduceLanes(VectorOperators.ADD);
        y[yOffset + 2] = acc2.reduceLanes(VectorOperators.ADD);
        y[yOffset + 3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * As llama.cpp: Σ over blocks of dw·dx · Σ q·qx.
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
            ByteVector lo = ByteVector.fromMemorySegment(BYTES, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector hi = ByteVector.fromMemorySegment(BYTES, w, o + 18, ByteOrder.LITTLE_ENDIAN);
            ByteVector xl = ByteVector.fromArray(BYTES, xq, xb * 32);
            ByteVector xh = ByteVector.fromArray(BYTES, xq, xb * 32 + 16);
            for (int p = 0; p < PARTS; p++) {
                FloatVector s = ((FloatVector) lo.convertShape(VectorOperators.B2F, FLOATS, p))
                        .mul((FloatVector) xl.convertShape(VectorOperators.B2F, FLOATS, p));
                s = ((FloatVector) hi.convertShape(VectorOperators.B2F, FLOATS, p))
                        .fma((FloatVector) xh.convertShape(VectorOperators.B2F, FLOATS, p), s);
                acc = s.fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
