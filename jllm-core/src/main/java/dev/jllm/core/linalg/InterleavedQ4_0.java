package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q4_0 matrix copied into blocks that interleave {@link #ROWS} rows, for the single-token integer kernel
 * ({@link Q4TokenKernel}). For each group of 16 rows and each 32-column block it holds eight 32-byte steps of four
 * columns each: in step s, byte j &lt; 16 is row j's codes of columns 4s (low nibble) and 4s + 2 (high nibble), byte
 * 16 + j row j's codes of columns 4s + 1 and 4s + 3. One mask and one shift then give two columns' 16 rows each,
 * widened side by side into one 32-lane short vector. The rows' F16 scales sit apart, as in the file; the copy takes
 * as many bytes as the matrix. Products of more than one token run {@link MatMul}'s packed GEMM on slivers cut from
 * the copy, with the values a dequantization of the file gives.
 */
public final class InterleavedQ4_0 extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int BLOCK = DType.Q4_0.blockSize();
    private static final int BLOCK_BYTES = DType.Q4_0.blockBytes();
    /** Bytes of one group's block: 32 columns of 16 four-bit codes. */
    static final int GROUP_BLOCK_BYTES = BLOCK * ROWS / 2;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    InterleavedQ4_0(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, cols / BLOCK, codes, scales);
    }

    /** Whether {@code w} can be interleaved here: Q4_0, rows a multiple of 16, and 16-lane float vectors. */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q4_0, BLOCK);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ4_0 of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q4_0);
        warmUp(List.of(DType.Q4_0));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int blocks = cols / BLOCK;
        MemorySegment[] copy = copy(w, pool, releaseMapped, BLOCK, BLOCK_BYTES, 0, 1, blocks * GROUP_BLOCK_BYTES,
                (in, rowBytes, out) -> interleaveNibbles(in, rowBytes, out, blocks, BLOCK_BYTES, 2));
        return new InterleavedQ4_0(rows, cols, copy[0], copy[1]);
    }

    /**
     * One group's 16 rows of 4-bit codes in GGML's legacy order (element k in byte k's low nibble, k + 16 in its high
     * one, from byte {@code codeAt} of each block of {@code blockBytes}) into this copy's interleaved steps.
     */
    static void interleaveNibbles(byte[] in, int rowBytes, byte[] out, int blocks, int blockBytes, int codeAt) {
        int[] q = new int[BLOCK];
        for (int lane = 0; lane < ROWS; lane++) {
            for (int b = 0; b < blocks; b++) {
                int o = lane * rowBytes + b * blockBytes + codeAt;
                for (int k = 0; k < BLOCK / 2; k++) {
                    q[k] = in[o + k] & 0x0F;
                    q[k + BLOCK / 2] = (in[o + k] >> 4) & 0x0F;
                }
                for (int s = 0; s < BLOCK / 4; s++) {
                    int at = b * GROUP_BLOCK_BYTES + s * 2 * ROWS;
                    out[at + lane] = (byte) (q[4 * s] | q[4 * s + 2] << 4);
                    out[at + ROWS + lane] = (byte) (q[4 * s + 1] | q[4 * s + 3] << 4);
                }
            }
        }
    }

    /** Bytes the copy of {@code w} takes: as many as Q4_0 itself. */
    public static long bytes(Tensor w) {
        return w.rows() * w.cols() / BLOCK * BLOCK_BYTES;
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        Q4TokenKernel.groups(this, g, count, qx, ds, y, yOffset);
    }

    /**
     * One row of the scalar twin: per block of 32, the integer sum of (code − 8) times x's int8 codes, times the
     * block's scale and x's.
     */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            int sum = 0;
            for (int c = 0; c < BLOCK; c++) {
                sum += (code(g, b, c, lane) - 8) * qx.qs[b * BLOCK + c];
            }
            float d = Float.float16ToFloat(scales.getAtIndex(HALF, (long) (g * blocks + b) * ROWS + lane));
            total = Math.fma((float) sum, d * qx.scales[b], total);
        }
        return total;
    }

    /** The four-bit code of column c of block b, for row {@code lane} of group g. */
    private int code(int g, int b, int c, int lane) {
        return code(codes, blocks, g, b, c, lane);
    }

    /** The four-bit code of column c of block b, for row {@code lane} of group g, in interleaved {@code codes}. */
    static int code(MemorySegment codes, int blocks, int g, int b, int c, int lane) {
        int s = c / 4;
        int k = c % 4;
        long at = (long) (g * blocks + b) * GROUP_BLOCK_BYTES + s * 2 * ROWS + (k % 2) * ROWS + lane;
        int v = codes.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
        return k < 2 ? v & 0x0F : v >> 4;
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·32 + lane0 + r]}), {@code ds} holding the columns' scales as floats:
     * (code − 8)·scale, as Q4_0's dequantization computes.
     */
    @Override
    void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        int width = 2 * ROWS;
        for (int p = 0; p < kc; p += BLOCK) {
            FloatVector d = FloatVector.fromArray(F, ds, p / BLOCK * ROWS);
            long q = (long) (g * blocks + (pc + p) / BLOCK) * GROUP_BLOCK_BYTES;
            for (int s = 0; s < BLOCK / 4; s++) {
                ByteVector v = ByteVector.fromMemorySegment(B32, codes, q + s * 2 * ROWS, LE);
                ByteVector lo = v.and((byte) 0x0F);
                ByteVector hi = v.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F);
                int c = p + 4 * s;
                // written out: a vector passed to a call C2 does not inline is boxed
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).sub(8f).mul(d)
                        .intoArray(packed, c * width + lane0);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).sub(8f).mul(d)
                        .intoArray(packed, (c + 1) * width + lane0);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).sub(8f).mul(d)
                        .intoArray(packed, (c + 2) * width + lane0);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).sub(8f).mul(d)
                        .intoArray(packed, (c + 3) * width + lane0);
            }
        }
    }
}
