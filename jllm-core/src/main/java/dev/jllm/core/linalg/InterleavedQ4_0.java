package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q4_0 matrix copied into blocks that interleave {@link #ROWS} rows, for the single-token integer kernel
 * ({@link Q4TokenKernel}). For each group of 16 rows and each 32-column block it holds four 64-byte steps of eight
 * columns each, read as 32 little-endian shorts: in step s, short j holds row j mod 16's codes of columns
 * 8s + 2k + j / 16 in its nibbles k = 0..3. Three shifts and four masks (of 32-bit lanes, see {@link #NIBBLES}) then
 * give four pairs of columns, each pair's 16 rows side by side in one 32-lane short vector, with no widening. The
 * rows' F16 scales sit apart, as in the file; the copy takes as many bytes as the matrix. Products of more than one
 * token run {@link MatMul}'s packed GEMM on slivers cut from the copy, with the values a dequantization of the file
 * gives.
 */
public final class InterleavedQ4_0 extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int BLOCK = DType.Q4_0.blockSize();
    private static final int BLOCK_BYTES = DType.Q4_0.blockBytes();
    /** Bytes of one group's block: 32 columns of 16 four-bit codes. */
    static final int GROUP_BLOCK_BYTES = BLOCK * ROWS / 2;
    /** Bytes of one step: 32 shorts of four codes each, eight columns of 16 rows. */
    static final int STEP_BYTES = 2 * 2 * ROWS;
    /**
     * The low nibble of each 16-bit half of a 32-bit lane. The kernels shift 32-bit lanes, which C2 does by an
     * immediate; 16-bit lanes it shifts by a count in a register, at three times the micro-ops.
     */
    static final int NIBBLES = 0x000F_000F;
    /** Steps per block. */
    static final int STEPS = GROUP_BLOCK_BYTES / STEP_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Compiles this type's single-token kernel for this machine's width ({@link InterleavedMatrix#warmUp}). */
    static void warmUpKernel() {
        if (WIDE) {
            Q4TokenKernel.warmUp();
        } else {
            Q4TokenKernel256.warmUp();
        }
    }

    InterleavedQ4_0(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, cols / BLOCK, codes, scales);
    }

    /** Whether {@code w} can be interleaved here: Q4_0, rows a multiple of 16, and float vectors of 16 or 8 lanes. */
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
        for (int lane = 0; lane < ROWS; lane++) {
            for (int b = 0; b < blocks; b++) {
                interleaveBlock(in, lane * rowBytes + b * blockBytes + codeAt, BLOCK / 2, 0, out, b * GROUP_BLOCK_BYTES,
                        lane);
            }
        }
    }

    /**
     * Row {@code lane}'s 32 codes of one block into the group's block at {@code out[at]}: column c's code is nibble
     * {@code shift / 4 + c / period} of {@code in[from + c % period]} (GGML's legacy blocks: period 16, shift 0; one
     * K-quant sub-block: period 32, shift 0 or 4). Byte t of short j = lane + 16h in step s holds columns
     * 8s + 4t + h (low nibble) and 8s + 4t + 2 + h (high).
     */
    static void interleaveBlock(byte[] in, int from, int period, int shift, byte[] out, int at, int lane) {
        for (int s = 0; s < STEPS; s++) {
            for (int h = 0; h < 2; h++) {
                for (int t = 0; t < 2; t++) {
                    int c = 8 * s + 4 * t + h;
                    int low = in[from + c % period] >> (shift + 4 * (c / period)) & 0x0F;
                    int high = in[from + (c + 2) % period] >> (shift + 4 * ((c + 2) / period)) & 0x0F;
                    out[at + s * STEP_BYTES + 2 * (h * ROWS + lane) + t] = (byte) (low | high << 4);
                }
            }
        }
    }

    /** The code of column c for row {@code lane} in the group's block at {@code codes[at]}. */
    static int nibble(MemorySegment codes, long at, int c, int lane) {
        int s = c / 8;
        int r = c % 8;
        int h = r % 2;
        int v = codes.get(ValueLayout.JAVA_BYTE, at + s * STEP_BYTES + 2 * (h * ROWS + lane) + r / 4) & 0xFF;
        return (r % 4) < 2 ? v & 0x0F : v >> 4;
    }

    /** Bytes the copy of {@code w} takes: as many as Q4_0 itself. */
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
        return nibble(codes, (long) (g * blocks + b) * GROUP_BLOCK_BYTES, c, lane);
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·32 + lane0 + r]}), {@code ds} holding the columns' scales as floats:
     * (code − 8)·scale, as Q4_0's dequantization computes.
     */
    @Override
    void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        if (!wide) {
            packGroupHalfWidth(codes, blocks, false, g, pc, kc, ds, packed, lane0);
            return;
        }
        int width = GemmKernel.NR;
        for (int p = 0; p < kc; p += BLOCK) {
            FloatVector d = FloatVector.fromArray(F, ds, p / BLOCK * ROWS);
            long q = (long) (g * blocks + (pc + p) / BLOCK) * GROUP_BLOCK_BYTES;
            for (int s = 0; s < STEPS; s++) {
                IntVector v = ShortVector.fromMemorySegment(S, codes, q + s * STEP_BYTES, LE).reinterpretAsInts();
                int c = p + 8 * s;
                // written out: a vector passed to a call C2 does not inline is boxed
                ShortVector n0 = v.and(NIBBLES).reinterpretAsShorts();
                ShortVector n1 = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts();
                ShortVector n2 = v.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts();
                ShortVector n3 = v.lanewise(VectorOperators.LSHR, 12).and(NIBBLES).reinterpretAsShorts();
                ((FloatVector) n0.convertShape(VectorOperators.S2F, F, 0)).sub(8f).mul(d)
                        .intoArray(packed, c * width + lane0);
                ((FloatVector) n0.convertShape(VectorOperators.S2F, F, 1)).sub(8f).mul(d)
                        .intoArray(packed, (c + 1) * width + lane0);
                ((FloatVector) n1.convertShape(VectorOperators.S2F, F, 0)).sub(8f).mul(d)
                        .intoArray(packed, (c + 2) * width + lane0);
                ((FloatVector) n1.convertShape(VectorOperators.S2F, F, 1)).sub(8f).mul(d)
                        .intoArray(packed, (c + 3) * width + lane0);
                ((FloatVector) n2.convertShape(VectorOperators.S2F, F, 0)).sub(8f).mul(d)
                        .intoArray(packed, (c + 4) * width + lane0);
                ((FloatVector) n2.convertShape(VectorOperators.S2F, F, 1)).sub(8f).mul(d)
                        .intoArray(packed, (c + 5) * width + lane0);
                ((FloatVector) n3.convertShape(VectorOperators.S2F, F, 0)).sub(8f).mul(d)
                        .intoArray(packed, (c + 6) * width + lane0);
                ((FloatVector) n3.convertShape(VectorOperators.S2F, F, 1)).sub(8f).mul(d)
                        .intoArray(packed, (c + 7) * width + lane0);
            }
        }
    }

    /**
     * {@link #packGroup} of a Q4_0 copy, or with {@code mins} of a Q4_1 one (code·d + m, {@code ds} holding a d and
     * an m set per block), in 256-bit vectors: each step's even columns, then its odd ones, rows 0–7 and 8–15 apart.
     */
    static void packGroupHalfWidth(MemorySegment codes, int blocks, boolean mins, int g, int pc, int kc, float[] ds,
                                   float[] packed, int lane0) {
        int width = GemmKernel.NR;
        int sets = mins ? 2 : 1;
        for (int p = 0; p < kc; p += BLOCK) {
            int at = sets * (p / BLOCK) * ROWS;
            FloatVector d0 = FloatVector.fromArray(F8, ds, at);
            FloatVector d1 = FloatVector.fromArray(F8, ds, at + 8);
            // Q4_0: (code − 8)·d, as code·d + (−8·d) would round otherwise; Q4_1: code·d + m
            FloatVector m0 = mins ? FloatVector.fromArray(F8, ds, at + ROWS) : FloatVector.broadcast(F8, -8f);
            FloatVector m1 = mins ? FloatVector.fromArray(F8, ds, at + ROWS + 8) : m0;
            long q = (long) (g * blocks + (pc + p) / BLOCK) * GROUP_BLOCK_BYTES;
            for (int s = 0; s < STEPS; s++) {
                for (int half = 0; half < 2; half++) {
                    IntVector v = ShortVector.fromMemorySegment(S16, codes, q + s * STEP_BYTES + half * STEP_BYTES / 2,
                            LE).reinterpretAsInts();
                    int c = p + 8 * s + half;
                    for (int k = 0; k < 4; k++) {
                        ShortVector n = v.lanewise(VectorOperators.LSHR, 4 * k).and(NIBBLES).reinterpretAsShorts();
                        FloatVector f0 = (FloatVector) n.convertShape(VectorOperators.S2F, F8, 0);
                        FloatVector f1 = (FloatVector) n.convertShape(VectorOperators.S2F, F8, 1);
                        int o = (c + 2 * k) * width + lane0;
                        if (mins) {
                            f0.mul(d0).add(m0).intoArray(packed, o);
                            f1.mul(d1).add(m1).intoArray(packed, o + 8);
                        } else {
                            f0.add(m0).mul(d0).intoArray(packed, o);
                            f1.add(m1).mul(d1).intoArray(packed, o + 8);
                        }
                    }
                }
            }
        }
    }
}
