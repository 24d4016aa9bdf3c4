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
 * A Q5_0 matrix copied into groups of {@link #ROWS} interleaved rows, for the single-token integer kernel
 * ({@link Q5TokenKernel}; {@link Q5TokenKernel256} on 256-bit machines), in as many bytes as the file. Each group's
 * 32-column block holds the low four bits of the 5-bit codes in {@link InterleavedQ4_0}'s order (eight steps of four
 * columns), then their fifth bits, 32 bytes per four steps: byte j &lt; 16 holds row j's even columns (bits 2t and
 * 2t + 1: step t's columns 4s and 4s + 2), byte 16 + j the odd ones. A 16-bit shift by 2t and two shifts and masks
 * put each fifth bit beside its nibble. The rows' F16 scales sit apart, as in the other copies.
 */
public final class InterleavedQ5_0 extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int BLOCK_BYTES = DType.Q5_0.blockBytes();
    /** Where a block keeps its fifth bits. */
    static final int HIGHS_AT = BLOCK * ROWS / 2;
    /** Bytes of one group's block: 256 of nibbles, 64 of fifth bits. */
    static final int GROUP_BLOCK_BYTES = HIGHS_AT + BLOCK * ROWS / 8;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Compiles this type's single-token kernel for this machine's width ({@link InterleavedMatrix#warmUp}). */
    static void warmUpKernel() {
        if (WIDE) {
            Q5TokenKernel.warmUp();
        } else {
            Q5TokenKernel256.warmUp();
        }
    }

    InterleavedQ5_0(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, cols / BLOCK, codes, scales);
    }

    /** Whether {@code w} can be interleaved here: Q5_0, rows a multiple of 16, and float vectors of 16 lanes or 8. */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q5_0, BLOCK);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ5_0 of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q5_0);
        warmUp(List.of(DType.Q5_0));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int blocks = cols / BLOCK;
        MemorySegment[] copy = copy(w, pool, releaseMapped, BLOCK, BLOCK_BYTES, 0, 1, blocks * GROUP_BLOCK_BYTES,
                (in, rowBytes, out) -> interleaveGroup(in, rowBytes, out, blocks, BLOCK_BYTES, 2));
        return new InterleavedQ5_0(rows, cols, copy[0], copy[1]);
    }

    /**
     * One group's 16 rows of 5-bit codes in GGML's legacy order (32 fifth bits from byte {@code qhAt} of each block of
     * {@code blockBytes}, the nibbles after them) into this copy's interleaved steps.
     */
    static void interleaveGroup(byte[] in, int rowBytes, byte[] out, int blocks, int blockBytes, int qhAt) {
        for (int lane = 0; lane < ROWS; lane++) {
            for (int b = 0; b < blocks; b++) {
                int o = lane * rowBytes + b * blockBytes + qhAt;
                int qh = (in[o] & 0xFF) | (in[o + 1] & 0xFF) << 8 | (in[o + 2] & 0xFF) << 16 | (in[o + 3] & 0xFF) << 24;
                interleaveBlock(in, o + 4, qh, out, b * GROUP_BLOCK_BYTES, lane);
            }
        }
    }

    /**
     * Row {@code lane}'s block (nibbles at {@code in[qs]}: element k in byte k's low nibble, k + 16 in its high one;
     * fifth bits {@code qh}, bit k for element k) into the group's block at {@code out[at]}.
     */
    private static void interleaveBlock(byte[] in, int qs, int qh, byte[] out, int at, int lane) {
        for (int s = 0; s < BLOCK / 4; s++) {
            int c = 4 * s;
            int step = at + s * 2 * ROWS;
            out[step + lane] = (byte) (nibble(in, qs, c) | nibble(in, qs, c + 2) << 4);
            out[step + ROWS + lane] = (byte) (nibble(in, qs, c + 1) | nibble(in, qs, c + 3) << 4);
            int t = s % 4;
            int highs = at + HIGHS_AT + s / 4 * 2 * ROWS;
            int even = (qh >>> c & 1) | (qh >>> (c + 2) & 1) << 1;
            int odd = (qh >>> (c + 1) & 1) | (qh >>> (c + 3) & 1) << 1;
            // the first step of four sets its byte (out is reused), the others add their bits
            if (t == 0) {
                out[highs + lane] = (byte) even;
                out[highs + ROWS + lane] = (byte) odd;
            } else {
                out[highs + lane] |= (byte) (even << 2 * t);
                out[highs + ROWS + lane] |= (byte) (odd << 2 * t);
            }
        }
    }

    /** The low four bits of element c of a Q5_0 block's nibbles at {@code in[qs]}. */
    private static int nibble(byte[] in, int qs, int c) {
        return c < BLOCK / 2 ? in[qs + c] & 0x0F : (in[qs + c - BLOCK / 2] >> 4) & 0x0F;
    }

    /** Bytes the copy of {@code w} takes: as many as Q5_0 itself. */
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

    /**
     * One row of the scalar twin: per block of 32, the integer sum of (code − 16) times x's int8 codes, times the
     * block's scale and x's.
     */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            int sum = 0;
            for (int c = 0; c < BLOCK; c++) {
                sum += (code(g, b, c, lane) - 16) * qx.qs[b * BLOCK + c];
            }
            float d = Float.float16ToFloat(scales.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED,
                    (long) (g * blocks + b) * ROWS + lane));
            total = Math.fma((float) sum, d * qx.scales[b], total);
        }
        return total;
    }

    /** The 5-bit code of column c of block b, for row {@code lane} of group g. */
    private int code(int g, int b, int c, int lane) {
        return code(codes, blocks, g, b, c, lane);
    }

    /** The 5-bit code of column c of block b, for row {@code lane} of group g, in interleaved {@code codes}. */
    static int code(MemorySegment codes, int blocks, int g, int b, int c, int lane) {
        int s = c / 4;
        int k = c % 4;
        long at = (long) (g * blocks + b) * GROUP_BLOCK_BYTES;
        int low = codes.get(ValueLayout.JAVA_BYTE, at + s * 2 * ROWS + (k % 2) * ROWS + lane) & 0xFF;
        int highs = codes.get(ValueLayout.JAVA_BYTE, at + HIGHS_AT + s / 4 * 2 * ROWS + (k % 2) * ROWS + lane);
        int fifth = highs >> (2 * (s % 4) + k / 2) & 1;
        return (k < 2 ? low & 0x0F : low >> 4) | fifth << 4;
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·NR + lane0 + r]}), {@code ds} holding the columns' scales as floats:
     * (code − 16)·scale, as Q5_0's dequantization computes.
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
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).sub(16f).mul(d)
                        .intoArray(packed, c * width + lane0);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).sub(16f).mul(d)
                        .intoArray(packed, (c + 1) * width + lane0);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).sub(16f).mul(d)
                        .intoArray(packed, (c + 2) * width + lane0);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).sub(16f).mul(d)
                        .intoArray(packed, (c + 3) * width + lane0);
            }
        }
    }

    /**
     * {@link #packGroup} of a Q5_0 copy, or with {@code mins} of a Q5_1 one (code·d + m, {@code ds} holding a d and
     * an m set per block), in 256-bit vectors, for machines without 512-bit ones: each step's even columns, then its
     * odd ones (16 bytes of nibbles and 16 of fifth bits each), rows 0–7 and 8–15 apart, with the 512-bit path's
     * values and rounding.
     */
    static void packGroupHalfWidth(MemorySegment codes, int blocks, boolean mins, int g, int pc, int kc, float[] ds,
                                   float[] packed, int lane0) {
        int width = GemmKernel.NR;
        int sets = mins ? 2 : 1;
        for (int p = 0; p < kc; p += BLOCK) {
            int at = sets * (p / BLOCK) * ROWS;
            FloatVector d0 = FloatVector.fromArray(F8, ds, at);
            FloatVector d1 = FloatVector.fromArray(F8, ds, at + 8);
            // Q5_0: (code − 16)·d, as code·d + (−16·d) would round otherwise; Q5_1: code·d + m
            FloatVector m0 = mins ? FloatVector.fromArray(F8, ds, at + ROWS) : FloatVector.broadcast(F8, -16f);
            FloatVector m1 = mins ? FloatVector.fromArray(F8, ds, at + ROWS + 8) : m0;
            long q = (long) (g * blocks + (pc + p) / BLOCK) * GROUP_BLOCK_BYTES;
            for (int s = 0; s < BLOCK / 4; s++) {
                for (int half = 0; half < 2; half++) {
                    // half 0: columns 4s and 4s + 2, half 1: 4s + 1 and 4s + 3; unrolled by C2
                    ByteVector v = ByteVector.fromMemorySegment(B16, codes, q + s * 2 * ROWS + half * ROWS, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B16, codes,
                                    q + HIGHS_AT + s / 4 * 2 * ROWS + half * ROWS, LE)
                            .reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * (s % 4)).reinterpretAsBytes();
                    ByteVector lo = v.and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4)
                            .reinterpretAsBytes().and((byte) 0x10));
                    ByteVector hi = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                            .and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3)
                                    .reinterpretAsBytes().and((byte) 0x10));
                    int o = (p + 4 * s + half) * width + lane0;
                    int o2 = o + 2 * width;
                    FloatVector a0 = (FloatVector) lo.convertShape(VectorOperators.B2F, F8, 0);
                    FloatVector a1 = (FloatVector) lo.convertShape(VectorOperators.B2F, F8, 1);
                    FloatVector b0 = (FloatVector) hi.convertShape(VectorOperators.B2F, F8, 0);
                    FloatVector b1 = (FloatVector) hi.convertShape(VectorOperators.B2F, F8, 1);
                    if (mins) {
                        a0.mul(d0).add(m0).intoArray(packed, o);
                        a1.mul(d1).add(m1).intoArray(packed, o + 8);
                        b0.mul(d0).add(m0).intoArray(packed, o2);
                        b1.mul(d1).add(m1).intoArray(packed, o2 + 8);
                    } else {
                        a0.add(m0).mul(d0).intoArray(packed, o);
                        a1.add(m1).mul(d1).intoArray(packed, o + 8);
                        b0.add(m0).mul(d0).intoArray(packed, o2);
                        b1.add(m1).mul(d1).intoArray(packed, o2 + 8);
                    }
                }
            }
        }
    }
}
