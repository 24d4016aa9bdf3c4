package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q5_1 matrix (value = d·code + m per block of 32, codes 0–31) copied as {@link InterleavedQ5_0} copies Q5_0: the
 * nibbles and fifth bits in the same interleaved steps, and each block's two F16 halves, d then m, in 16-lane sets
 * apart. The kernel is {@link Q5TokenKernel}'s ({@link Q5TokenKernel256}'s on 256-bit machines), adding back the
 * 16·Σqx it takes off and m times x's block sum; the copy takes as many bytes as the matrix.
 */
public final class InterleavedQ5_1 extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int BLOCK_BYTES = DType.Q5_1.blockBytes();
    private static final int HIGHS_AT = InterleavedQ5_0.HIGHS_AT;
    private static final int GROUP_BLOCK_BYTES = InterleavedQ5_0.GROUP_BLOCK_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    InterleavedQ5_1(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, 2 * (cols / BLOCK), codes, scales);
    }

    /** Whether {@code w} can be interleaved here: Q5_1, rows a multiple of 16, and float vectors of 16 lanes or 8. */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q5_1, BLOCK);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ5_1 of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q5_1);
        warmUp(List.of(DType.Q5_1));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int blocks = cols / BLOCK;
        MemorySegment[] copy = copy(w, pool, releaseMapped, BLOCK, BLOCK_BYTES, 0, 2, blocks * GROUP_BLOCK_BYTES,
                (in, rowBytes, out) -> InterleavedQ5_0.interleaveGroup(in, rowBytes, out, blocks, BLOCK_BYTES, 4));
        return new InterleavedQ5_1(rows, cols, copy[0], copy[1]);
    }

    /** Bytes the copy of {@code w} takes: as many as Q5_1 itself. */
    public static long bytes(Tensor w) {
        return w.rows() * w.cols() / BLOCK * BLOCK_BYTES;
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        if (wide) {
            Q5TokenKernel.groups(this, g, count, qx, ds, y, yOffset);
        } else {
            Q5TokenKernel256.groups(this, g, count, qx, ds, y, yOffset);
        }
    }

    /** One row of the scalar twin ({@link #referenceRowWithMins}). */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        return referenceRowWithMins(g, lane, qx, (gg, b, c, row) -> InterleavedQ5_0.code(codes, blocks, gg, b, c, row));
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·NR + lane0 + r]}), {@code ds} holding the columns' scales as floats:
     * code·d + m, multiplied then added as GGML's dequantization does.
     */
    @Override
    void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        if (!wide) {
            InterleavedQ5_0.packGroupHalfWidth(codes, blocks, true, g, pc, kc, ds, packed, lane0);
            return;
        }
        int width = GemmKernel.NR;
        for (int p = 0; p < kc; p += BLOCK) {
            FloatVector d = FloatVector.fromArray(F, ds, 2 * (p / BLOCK) * ROWS);
            FloatVector m = FloatVector.fromArray(F, ds, (2 * (p / BLOCK) + 1) * ROWS);
            long q = (long) (g * blocks + (pc + p) / BLOCK) * GROUP_BLOCK_BYTES;
            for (int s = 0; s < BLOCK / 4; s++) {
                ByteVector v = ByteVector.fromMemorySegment(B32, codes, q + s * 2 * ROWS, LE);
                ByteVector h = ByteVector.fromMemorySegment(B32, codes, q + HIGHS_AT + s / 4 * 2 * ROWS, LE)
                        .reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * (s % 4)).reinterpretAsBytes();
                ByteVector lo = v.and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4)
                        .reinterpretAsBytes().and((byte) 0x10));
                ByteVector hi = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3)
                                .reinterpretAsBytes().and((byte) 0x10));
                int c = p + 4 * s;
                // written out: a vector passed to a call C2 does not inline is boxed
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).add(m)
                        .intoArray(packed, c * width + lane0);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(d).add(m)
                        .intoArray(packed, (c + 1) * width + lane0);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).add(m)
                        .intoArray(packed, (c + 2) * width + lane0);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).mul(d).add(m)
                        .intoArray(packed, (c + 3) * width + lane0);
            }
        }
    }
}
