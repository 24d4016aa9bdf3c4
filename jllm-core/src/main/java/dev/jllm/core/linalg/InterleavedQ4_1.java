package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q4_1 matrix (value = d·code + m per block of 32) copied as {@link InterleavedQ4_0} copies Q4_0: the codes in the
 * same interleaved steps, and each block's two F16 halves, d then m, in 16-lane sets apart. The kernel is
 * {@link Q4TokenKernel}'s, without the −8 offset and plus m times x's block sum; the copy takes as many bytes as the
 * matrix.
 */
public final class InterleavedQ4_1 extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int BLOCK = DType.Q4_1.blockSize();
    private static final int BLOCK_BYTES = DType.Q4_1.blockBytes();
    private static final int GROUP_BLOCK_BYTES = InterleavedQ4_0.GROUP_BLOCK_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final int NIBBLES = InterleavedQ4_0.NIBBLES;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    InterleavedQ4_1(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, 2 * (cols / BLOCK), codes, scales);
    }

    /** Whether {@code w} can be interleaved here: Q4_1, rows a multiple of 16, and float vectors of 16 or 8 lanes. */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q4_1, BLOCK);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ4_1 of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q4_1);
        warmUp(List.of(DType.Q4_1));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int blocks = cols / BLOCK;
        MemorySegment[] copy = copy(w, pool, releaseMapped, BLOCK, BLOCK_BYTES, 0, 2, blocks * GROUP_BLOCK_BYTES,
                (in, rowBytes, out) -> InterleavedQ4_0.interleaveNibbles(in, rowBytes, out, blocks, BLOCK_BYTES, 4));
        return new InterleavedQ4_1(rows, cols, copy[0], copy[1]);
    }

    /** Bytes the copy of {@code w} takes: as many as Q4_1 itself. */
    public static long bytes(Tensor w) {
        return w.rows() * w.cols() / BLOCK * BLOCK_BYTES;
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        if (wide) {
            Q4TokenKernel.groups(this, g, count, qx, ds, y, yOffset);
        } else {
            Q4TokenKernel256.groups(this, g, count, qx, ds, y, yOffset);
        }
    }

    /** One row of the scalar twin ({@link #referenceRowWithMins}). */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        return referenceRowWithMins(g, lane, qx,
                (gg, b, c, row) -> InterleavedQ4_0.code(codes, blocks, gg, b, c, row));
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver, {@code ds} holding the blocks' d and m sets: code·d + m, multiplied then added as GGML's dequantization
     * does.
     */
    @Override
    void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        if (!wide) {
            InterleavedQ4_0.packGroupHalfWidth(codes, blocks, true, g, pc, kc, ds, packed, lane0);
            return;
        }
        int width = GemmKernel.NR;
        for (int p = 0; p < kc; p += BLOCK) {
            FloatVector d = FloatVector.fromArray(F, ds, 2 * (p / BLOCK) * ROWS);
            FloatVector m = FloatVector.fromArray(F, ds, (2 * (p / BLOCK) + 1) * ROWS);
            long q = (long) (g * blocks + (pc + p) / BLOCK) * GROUP_BLOCK_BYTES;
            for (int s = 0; s < InterleavedQ4_0.STEPS; s++) {
                IntVector v = ShortVector.fromMemorySegment(S, codes, q + s * InterleavedQ4_0.STEP_BYTES, LE)
                        .reinterpretAsInts();
                int c = p + 8 * s;
                // written out: a vector passed to a call C2 does not inline is boxed
                ShortVector n0 = v.and(NIBBLES).reinterpretAsShorts();
                ShortVector n1 = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts();
                ShortVector n2 = v.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts();
                ShortVector n3 = v.lanewise(VectorOperators.LSHR, 12).and(NIBBLES).reinterpretAsShorts();
                ((FloatVector) n0.convertShape(VectorOperators.S2F, F, 0)).mul(d).add(m)
                        .intoArray(packed, c * width + lane0);
                ((FloatVector) n0.convertShape(VectorOperators.S2F, F, 1)).mul(d).add(m)
                        .intoArray(packed, (c + 1) * width + lane0);
                ((FloatVector) n1.convertShape(VectorOperators.S2F, F, 0)).mul(d).add(m)
                        .intoArray(packed, (c + 2) * width + lane0);
                ((FloatVector) n1.convertShape(VectorOperators.S2F, F, 1)).mul(d).add(m)
                        .intoArray(packed, (c + 3) * width + lane0);
                ((FloatVector) n2.convertShape(VectorOperators.S2F, F, 0)).mul(d).add(m)
                        .intoArray(packed, (c + 4) * width + lane0);
                ((FloatVector) n2.convertShape(VectorOperators.S2F, F, 1)).mul(d).add(m)
                        .intoArray(packed, (c + 5) * width + lane0);
                ((FloatVector) n3.convertShape(VectorOperators.S2F, F, 0)).mul(d).add(m)
                        .intoArray(packed, (c + 6) * width + lane0);
                ((FloatVector) n3.convertShape(VectorOperators.S2F, F, 1)).mul(d).add(m)
                        .intoArray(packed, (c + 7) * width + lane0);
            }
        }
    }
}
