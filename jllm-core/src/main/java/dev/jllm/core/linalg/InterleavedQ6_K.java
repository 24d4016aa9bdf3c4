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
 * A Q6_K matrix copied into groups of {@link #ROWS} interleaved rows, for the single-token integer kernel
 * ({@link Q6KTokenKernel}, or {@link Q6KTokenKernel256} on 256-bit machines), in as many bytes as the file. Each
 * group's 256-column super-block holds the 16 rows' sixteen int8 sub-block scales ({@code [k·16 + lane]}, one per 16
 * columns), then per 32-column block the low four bits of the 6-bit codes in {@link InterleavedQ4_0}'s order (eight
 * steps of four columns) and their high two bits, 32 bytes per two steps: byte j &lt; 16 holds row j's even columns
 * (bits 4–5 and 6–7: the first step's columns 4s and 4s + 2; bits 0–1 and 2–3: the second step's), byte 16 + j the odd
 * ones. A mask, or a 16-bit shift and a mask, then puts each high pair beside its nibble. The rows' F16 {@code d} sit
 * apart, as scales do in the other copies.
 */
public final class InterleavedQ6_K extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int SUPER = DType.Q6_K.blockSize();
    private static final int SUPER_FILE_BYTES = DType.Q6_K.blockBytes();
    /** Columns per sub-block scale. */
    static final int SUB = 16;
    /** Where a group's super-block keeps its first 32-column block; its scales start at 0. */
    static final int BLOCKS_AT = SUPER / SUB * ROWS;
    /** Bytes of one group's 32-column block: 256 of low nibbles, then 128 of high pairs. */
    static final int BLOCK_BYTES = BLOCK * ROWS / 2 + BLOCK * ROWS / 4;
    /** Where a block keeps its high pairs. */
    static final int HIGHS_AT = BLOCK * ROWS / 2;
    /** Bytes of one group's super-block. */
    static final int SUPER_BYTES = BLOCKS_AT + SUPER / BLOCK * BLOCK_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Super-blocks per row. */
    final int supers;

    /** Compiles this type's single-token kernel for this machine's width ({@link InterleavedMatrix#warmUp}). */
    static void warmUpKernel() {
        if (WIDE) {
            Q6KTokenKernel.warmUp();
        } else {
            Q6KTokenKernel256.warmUp();
        }
    }

    InterleavedQ6_K(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, cols / SUPER, codes, scales);
        this.supers = cols / SUPER;
    }

    /** Whether {@code w} can be interleaved here: Q6_K, rows a multiple of 16, and 16- or 8-lane float vectors. */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q6_K, SUPER);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ6_K of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q6_K);
        warmUp(List.of(DType.Q6_K));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int supers = cols / SUPER;
        MemorySegment[] copy = copy(w, pool, releaseMapped, SUPER, SUPER_FILE_BYTES, SUPER_FILE_BYTES - 2, 1,
                supers * SUPER_BYTES, (in, rowBytes, out) -> {
                    for (int lane = 0; lane < ROWS; lane++) {
                        for (int sb = 0; sb < supers; sb++) {
                            int o = lane * rowBytes + sb * SUPER_FILE_BYTES;
                            int at = sb * SUPER_BYTES;
                            for (int k = 0; k < SUPER / SUB; k++) {
                                out[at + k * ROWS + lane] = in[o + 192 + k];
                            }
                            for (int b = 0; b < SUPER / BLOCK; b++) {
                                interleaveBlock(in, o, b, out, at + BLOCKS_AT + b * BLOCK_BYTES, lane);
                            }
                        }
                    }
                });
        return new InterleavedQ6_K(rows, cols, copy[0], copy[1]);
    }

    /**
     * Row {@code lane}'s 32-column block b of the Q6_K block at {@code in[o]} ({ql[128], qh[64], scales[16], d})
     * into the group's block at {@code out[at]}. In each half of 128 columns, column {@code l + 32k} takes a nibble of
     * {@code ql[64·half + l + 32(k & 1)]} (low for k &lt; 2) and bits {@code 2k, 2k + 1} of {@code qh[32·half + l]}:
     * one nibble and one bit pair for all of block b = 4·half + k.
     */
    private static void interleaveBlock(byte[] in, int o, int b, byte[] out, int at, int lane) {
        int half = b / 4;
        int k = b % 4;
        int ql = o + 64 * half + 32 * (k & 1);
        int qh = o + 128 + 32 * half;
        int nibble = k < 2 ? 0 : 4;
        int pair = 2 * k;
        for (int s = 0; s < BLOCK / 4; s++) {
            int l = 4 * s;
            int step = at + s * 2 * ROWS;
            out[step + lane] = (byte) ((in[ql + l] >> nibble & 0xF) | (in[ql + l + 2] >> nibble & 0xF) << 4);
            out[step + ROWS + lane] = (byte) ((in[ql + l + 1] >> nibble & 0xF) | (in[ql + l + 3] >> nibble & 0xF) << 4);
            int even = (in[qh + l] >> pair & 3) | (in[qh + l + 2] >> pair & 3) << 2;
            int odd = (in[qh + l + 1] >> pair & 3) | (in[qh + l + 3] >> pair & 3) << 2;
            // the first step of a pair in bits 4–7 (out is reused: set), the second in bits 0–3
            int highs = at + HIGHS_AT + s / 2 * 2 * ROWS;
            if (s % 2 == 0) {
                out[highs + lane] = (byte) (even << 4);
                out[highs + ROWS + lane] = (byte) (odd << 4);
            } else {
                out[highs + lane] |= (byte) even;
                out[highs + ROWS + lane] |= (byte) odd;
            }
        }
    }

    /** Bytes the copy of {@code w} takes: as many as Q6_K itself, 210 per row and super-block. */
    public static long bytes(Tensor w) {
        return w.rows() * (w.cols() / SUPER) * (SUPER_BYTES / ROWS + Short.BYTES);
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        if (wide) {
            Q6KTokenKernel.groups(this, g, count, qx, ds, y, yOffset);
        } else {
            Q6KTokenKernel256.groups(this, g, count, qx, ds, y, yOffset);
        }
    }

    /**
     * One row of the scalar twin: per 16 columns the integer sum of (code − 32) times x's int8
     * codes, times the sub-block's scale and x's block scale, added up per super-block and times {@code d}. The same
     * order as the kernel; bit-identical with it.
     */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        float total = 0;
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * SUPER_BYTES;
            float scaled = 0;
            for (int k = 0; k < SUPER / SUB; k++) {
                int sum = 0;
                for (int c = k * SUB; c < (k + 1) * SUB; c++) {
                    sum += (code(at, c, lane) - 32) * qx.qs[sb * SUPER + c];
                }
                int scale = codes.get(ValueLayout.JAVA_BYTE, at + k * ROWS + lane);
                scaled = Math.fma((float) sum * scale, qx.scales[(sb * SUPER + k * SUB) / BLOCK], scaled);
            }
            float d = Float.float16ToFloat(scales.getAtIndex(HALF, (long) (g * supers + sb) * ROWS + lane));
            total = Math.fma(d, scaled, total);
        }
        return total;
    }

    /** The 6-bit code of column c of the super-block at {@code at}, for row {@code lane}. */
    private int code(long at, int c, int lane) {
        int b = c / BLOCK;
        int s = (c % BLOCK) / 4;
        int k = c % 4;
        long block = at + BLOCKS_AT + (long) b * BLOCK_BYTES;
        int low = codes.get(ValueLayout.JAVA_BYTE, block + s * 2 * ROWS + (k % 2) * ROWS + lane) & 0xFF;
        int highs = codes.get(ValueLayout.JAVA_BYTE, block + HIGHS_AT + s / 2 * 2 * ROWS + (k % 2) * ROWS + lane)
                & 0xFF;
        int pair = highs >> (s % 2 == 0 ? 4 : 0) >> (k < 2 ? 0 : 2) & 3;
        return (k < 2 ? low & 0xF : low >> 4) | pair << 4;
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·NR + lane0 + r]}, NR = {@link GemmKernel#NR}), {@code ds} holding the columns' scales
     * as floats: {@code (d·scale)·(q − 32)}, in the order of Q6_K's dequantization, so the values equal the file's.
     */
    @Override
    void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        if (!wide) {
            packGroupHalfWidth(g, pc, kc, ds, packed, lane0);
            return;
        }
        int width = GemmKernel.NR;
        for (int p = 0; p < kc; p += BLOCK) {
            long at = (long) (g * supers + (pc + p) / SUPER) * SUPER_BYTES;
            int b = (p % SUPER) / BLOCK;
            FloatVector d = FloatVector.fromArray(F, ds, p / SUPER * ROWS);
            FloatVector first = d.mul((FloatVector) ByteVector.fromMemorySegment(B16, codes,
                    at + 2L * b * ROWS, LE).convertShape(VectorOperators.B2F, F, 0));
            FloatVector second = d.mul((FloatVector) ByteVector.fromMemorySegment(B16, codes,
                    at + (2L * b + 1) * ROWS, LE).convertShape(VectorOperators.B2F, F, 0));
            long block = at + BLOCKS_AT + (long) b * BLOCK_BYTES;
            for (int s = 0; s < BLOCK / 4; s++) {
                ByteVector v = ByteVector.fromMemorySegment(B32, codes, block + s * 2 * ROWS, LE);
                ByteVector h = ByteVector.fromMemorySegment(B32, codes, block + HIGHS_AT + s / 2 * 2 * ROWS, LE);
                h = s % 2 == 0 ? h : h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
                ByteVector lo = v.and((byte) 0x0F).or(h.and((byte) 0x30)).sub((byte) 32);
                ByteVector hi = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2)
                                .reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                FloatVector scale = s < 4 ? first : second;
                int c = p + 4 * s;
                // written out: a vector passed to a call C2 does not inline is boxed
                scale.mul((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0))
                        .intoArray(packed, c * width + lane0);
                scale.mul((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1))
                        .intoArray(packed, (c + 1) * width + lane0);
                scale.mul((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0))
                        .intoArray(packed, (c + 2) * width + lane0);
                scale.mul((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1))
                        .intoArray(packed, (c + 3) * width + lane0);
            }
        }
    }

    /**
     * {@link #packGroup} in 256-bit vectors, for machines without 512-bit ones: each step's even columns, then its odd
     * ones, rows 0–7 and 8–15 apart, with the same {@code d·scale} and the same products as the wide path.
     */
    private void packGroupHalfWidth(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        int width = GemmKernel.NR;
        for (int p = 0; p < kc; p += BLOCK) {
            long at = (long) (g * supers + (pc + p) / SUPER) * SUPER_BYTES;
            int b = (p % SUPER) / BLOCK;
            FloatVector d0 = FloatVector.fromArray(F8, ds, p / SUPER * ROWS);
            FloatVector d1 = FloatVector.fromArray(F8, ds, p / SUPER * ROWS + 8);
            long first = at + 2L * b * ROWS;
            long second = at + (2L * b + 1) * ROWS;
            FloatVector first0 = d0.mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, first, LE)
                    .convertShape(VectorOperators.B2F, F8, 0));
            FloatVector first1 = d1.mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, first + 8, LE)
                    .convertShape(VectorOperators.B2F, F8, 0));
            FloatVector second0 = d0.mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, second, LE)
                    .convertShape(VectorOperators.B2F, F8, 0));
            FloatVector second1 = d1.mul((FloatVector) ByteVector.fromMemorySegment(B8, codes, second + 8, LE)
                    .convertShape(VectorOperators.B2F, F8, 0));
            long block = at + BLOCKS_AT + (long) b * BLOCK_BYTES;
            for (int s = 0; s < BLOCK / 4; s++) {
                FloatVector scale0 = s < 4 ? first0 : second0;
                FloatVector scale1 = s < 4 ? first1 : second1;
                for (int odd = 0; odd < 2; odd++) {
                    ByteVector v = ByteVector.fromMemorySegment(B16, codes, block + s * 2 * ROWS + odd * ROWS, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B16, codes,
                            block + HIGHS_AT + s / 2 * 2 * ROWS + odd * ROWS, LE);
                    h = s % 2 == 0 ? h : h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
                    ByteVector lo = v.and((byte) 0x0F).or(h.and((byte) 0x30)).sub((byte) 32);
                    ByteVector hi = v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                            .and((byte) 0x0F).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2)
                                    .reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                    int c = p + 4 * s + odd;
                    // written out: a vector passed to a call C2 does not inline is boxed
                    scale0.mul((FloatVector) lo.convertShape(VectorOperators.B2F, F8, 0))
                            .intoArray(packed, c * width + lane0);
                    scale1.mul((FloatVector) lo.convertShape(VectorOperators.B2F, F8, 1))
                            .intoArray(packed, c * width + lane0 + 8);
                    scale0.mul((FloatVector) hi.convertShape(VectorOperators.B2F, F8, 0))
                            .intoArray(packed, (c + 2) * width + lane0);
                    scale1.mul((FloatVector) hi.convertShape(VectorOperators.B2F, F8, 1))
                            .intoArray(packed, (c + 2) * width + lane0 + 8);
                }
            }
        }
    }
}
