package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
    private static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[0]);

    InterleavedQ4_0(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, cols / BLOCK, codes, scales);
    }

    /** Whether {@code w} can be interleaved here: Q4_0, rows a multiple of 16, and 16-lane float vectors. */
    public static boolean supports(Tensor w) {
        return w.type() == DType.Q4_0 && w.shape().length == 2 && w.rows() % ROWS == 0 && w.cols() % BLOCK == 0
                && w.rows() * w.cols() <= Integer.MAX_VALUE - 8 && FloatVector.SPECIES_PREFERRED.length() == 16;
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ4_0 of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        if (!supports(w)) {
            throw new IllegalArgumentException("cannot interleave " + w + ": needs Q4_0 with rows a multiple of "
                    + ROWS + " and 16-lane float vectors");
        }
        Q4TokenKernel.warmUp();
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int blocks = cols / BLOCK;
        MemorySegment[] copy = copy(w, pool, releaseMapped, BLOCK, BLOCK_BYTES, 0, 1, blocks * GROUP_BLOCK_BYTES,
                (in, rowBytes, out) -> {
                    int[] q = new int[BLOCK];
                    for (int lane = 0; lane < ROWS; lane++) {
                        for (int b = 0; b < blocks; b++) {
                            int o = lane * rowBytes + b * BLOCK_BYTES + 2;
                            // Q4_0 stores element k in byte k's low nibble and element k + 16 in its high nibble
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
                });
        return new InterleavedQ4_0(rows, cols, copy[0], copy[1]);
    }

    /** Bytes the copy of {@code w} takes: as many as Q4_0 itself. */
    public static long bytes(Tensor w) {
        return w.rows() * w.cols() / BLOCK * BLOCK_BYTES;
    }

    /**
     * {@code y[yOffset + t·rows + r] = Σ_c x[xOffset + t·cols + c]·W[r][c]} for n tokens t, through the packed GEMM
     * on slivers dequantized from the copy. Y is overwritten.
     *
     * @throws IllegalArgumentException if x or y are too short for n tokens
     */
    @Override
    public void multiply(WorkerPool pool, float[] x, int xOffset, int n, float[] y, int yOffset) {
        check(x, xOffset, n, y, yOffset);
        MatMul.multiplyPacked(pool, rows, cols, (r0, nr, pc, kc, panel) -> packSliver(r0, nr, pc, kc, panel.packed),
                x, xOffset, n, y, yOffset);
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        Q4TokenKernel.groups(this, g, count, qx, ds, y, yOffset);
    }

    /**
     * The scalar twin of {@link #multiplyQuantized}: the same quantized x and integer block sums, scaled and added in
     * the same order, in plain loops. Bit-identical with it.
     */
    @Override
    public void referenceQuantized(float[] x, int xOffset, float[] y, int yOffset) {
        check(x, xOffset, 1, y, yOffset);
        QuantizedActivations qx = new QuantizedActivations(DType.Q8_0, cols).quantize(x, xOffset, cols);
        for (int r = 0; r < rows; r++) {
            int g = r / ROWS;
            int lane = r % ROWS;
            float total = 0;
            for (int b = 0; b < blocks; b++) {
                int sum = 0;
                for (int c = 0; c < BLOCK; c++) {
                    sum += (code(g, b, c, lane) - 8) * qx.qs[b * BLOCK + c];
                }
                float d = Float.float16ToFloat(scales.getAtIndex(HALF, (long) (g * blocks + b) * ROWS + lane));
                total = Math.fma((float) sum, d * qx.scales[b], total);
            }
            y[yOffset + r] = total;
        }
    }

    /** The four-bit code of column c of block b, for row {@code lane} of group g. */
    private int code(int g, int b, int c, int lane) {
        int s = c / 4;
        int k = c % 4;
        long at = (long) (g * blocks + b) * GROUP_BLOCK_BYTES + s * 2 * ROWS + (k % 2) * ROWS + lane;
        int v = codes.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
        return k < 2 ? v & 0x0F : v >> 4;
    }

    /**
     * Rows {@code [r0, r0 + nr)} × columns {@code [pc, pc + kc)} as floats, k-major for {@link MatMul}'s micro-kernel
     * ({@code packed[p·32 + r]}, rows past nr zero): (code − 8)·scale, as Q4_0's dequantization computes.
     */
    void packSliver(int r0, int nr, int pc, int kc, float[] packed) {
        int width = 2 * ROWS;
        float[] ds = SCALES.get();
        if (ds.length < kc / BLOCK * ROWS) {
            ds = new float[kc / BLOCK * ROWS];
            SCALES.set(ds);
        }
        for (int half = 0; half < 2; half++) {
            int lane0 = half * ROWS;
            if (lane0 >= nr) {
                for (int p = 0; p < kc; p++) {
                    java.util.Arrays.fill(packed, p * width + lane0, p * width + lane0 + ROWS, 0f);
                }
                continue;
            }
            int g = (r0 + lane0) / ROWS;
            scalesAsFloats(g * blocks + pc / BLOCK, kc / BLOCK, ds);
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
}
