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
 * A Q5_K matrix copied into groups of {@link #ROWS} interleaved rows, for the single-token integer kernel
 * ({@link Q5KTokenKernel}; {@link Q5KTokenKernel256} on 256-bit machines). Each group's 256-column super-block
 * takes {@value #SUPER_BYTES} bytes: the 16 rows' eight 6-bit sub-block scales unpacked to bytes
 * ({@code [j·16 + lane]}), then their eight mins, then per 32-column sub-block the low four bits of the codes and
 * their fifth bits in {@link InterleavedQ5_0}'s order. The rows' F16 {@code d} and {@code dmin} sit apart. The copy
 * takes 180 bytes per row and super-block against the file's 176.
 */
public final class InterleavedQ5_K extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int SUPER = DType.Q5_K.blockSize();
    /** Sub-blocks of 32 columns per super-block. */
    static final int SUBS = SUPER / BLOCK;
    /** Where a group's super-block keeps its mins; its scales start at 0. */
    static final int MINS = SUBS * ROWS;
    /** Where a group's super-block keeps its codes. */
    static final int CODES = 2 * SUBS * ROWS;
    /** Bytes of one group's sub-block: nibbles and fifth bits, as a Q5_0 block's. */
    static final int SUB_BYTES = InterleavedQ5_0.GROUP_BLOCK_BYTES;
    /** Bytes of one group's super-block: scales, mins and eight sub-blocks. */
    static final int SUPER_BYTES = CODES + SUBS * SUB_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Super-blocks per row. */
    final int supers;

    /** Compiles this type's single-token kernel for this machine's width ({@link InterleavedMatrix#warmUp}). */
    static void warmUpKernel() {
        if (WIDE) {
            Q5KTokenKernel.warmUp();
        } else {
            Q5KTokenKernel256.warmUp();
        }
    }

    InterleavedQ5_K(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, 2 * (cols / SUPER), codes, scales);
        this.supers = cols / SUPER;
    }

    /** Whether {@code w} can be interleaved here: Q5_K, rows a multiple of 16, and float vectors of 16 lanes or 8. */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q5_K, SUPER);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ5_K of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q5_K);
        warmUp(List.of(DType.Q5_K));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        // 64 columns per 32 bytes of qs: sub-block 2c in the low nibbles of chunk c, 2c + 1 in the high ones; qh[l]
        // holds bit j of column l of sub-block j
        MemorySegment[] copy = InterleavedQ4_K.copyScaleMin(w, pool, releaseMapped, SUPER_BYTES, SUB_BYTES,
                (in, o, j, out, at, lane) -> interleaveSub(in, o + 48 + j / 2 * BLOCK, 4 * (j % 2), o + 16, j, out,
                        at, lane));
        return new InterleavedQ5_K(rows, cols, copy[0], copy[1]);
    }

    /**
     * Row {@code lane}'s sub-block j (nibbles of {@code in[qs ..]} from bit {@code shift}, fifth bits bit j of
     * {@code in[qh ..]}) into the group's sub-block at {@code out[at]}, in {@link InterleavedQ5_0}'s order.
     */
    private static void interleaveSub(byte[] in, int qs, int shift, int qh, int j, byte[] out, int at, int lane) {
        for (int s = 0; s < BLOCK / 4; s++) {
            int c = 4 * s;
            int step = at + s * 2 * ROWS;
            out[step + lane] = (byte) ((in[qs + c] >> shift & 0x0F) | (in[qs + c + 2] >> shift & 0x0F) << 4);
            out[step + ROWS + lane] = (byte) ((in[qs + c + 1] >> shift & 0x0F) | (in[qs + c + 3] >> shift & 0x0F) << 4);
            int even = (in[qh + c] >> j & 1) | (in[qh + c + 2] >> j & 1) << 1;
            int odd = (in[qh + c + 1] >> j & 1) | (in[qh + c + 3] >> j & 1) << 1;
            int t = s % 4;
            int highs = at + InterleavedQ5_0.HIGHS_AT + s / 4 * 2 * ROWS;
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

    /** Bytes the copy of {@code w} takes: 180 per row and super-block. */
    public static long bytes(Tensor w) {
        return w.rows() * (w.cols() / SUPER) * (SUPER_BYTES / ROWS + 2 * Short.BYTES);
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        if (wide) {
            Q5KTokenKernel.groups(this, g, count, qx, ds, y, yOffset);
        } else {
            Q5KTokenKernel256.groups(this, g, count, qx, ds, y, yOffset);
        }
    }

    /**
     * One row of the scalar twin, as Q4_K's ({@link InterleavedQ4_K#scaleMinRow}) with 5-bit codes. Bit-identical with
     * the kernel.
     */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        return InterleavedQ4_K.scaleMinRow(this, supers, SUPER_BYTES, g, lane, qx, (b, c) -> code(g, b, c, lane));
    }


    /** The 5-bit code of column c of sub-block b (counted along the row), for row {@code lane} of group g. */
    private int code(int g, int b, int c, int lane) {
        int s = c / 4;
        int k = c % 4;
        long at = (long) (g * supers + b / SUBS) * SUPER_BYTES + CODES + (long) (b % SUBS) * SUB_BYTES;
        int low = codes.get(ValueLayout.JAVA_BYTE, at + s * 2 * ROWS + (k % 2) * ROWS + lane) & 0xFF;
        int highs = codes.get(ValueLayout.JAVA_BYTE,
                at + InterleavedQ5_0.HIGHS_AT + s / 4 * 2 * ROWS + (k % 2) * ROWS + lane);
        int fifth = highs >> (2 * (s % 4) + k / 2) & 1;
        return (k < 2 ? low & 0x0F : low >> 4) | fifth << 4;
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·NR + lane0 + r]}, NR = {@link GemmKernel#NR}), {@code ds} holding the columns' scales
     * as floats: {@code (d·scale)·q − dmin·min}, in the order of Q5_K's dequantization, so the values equal the
     * file's; in 256-bit vectors on a half-width copy ({@link #packGroupHalfWidth}).
     */
    @Override
    void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        if (!wide) {
            packGroupHalfWidth(g, pc, kc, ds, packed, lane0);
            return;
        }
        int width = GemmKernel.NR;
        for (int p = 0; p < kc; p += BLOCK) {
            int sb = p / SUPER;
            int j = (p % SUPER) / BLOCK;
            long at = (long) (g * supers + (pc + p) / SUPER) * SUPER_BYTES;
            FloatVector d = FloatVector.fromArray(F, ds, 2 * sb * ROWS);
            FloatVector dmin = FloatVector.fromArray(F, ds, (2 * sb + 1) * ROWS);
            FloatVector scale = d.mul((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, codes,
                    at + j * ROWS, LE).convertShape(VectorOperators.B2F, F, 0));
            FloatVector min = dmin.mul((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, codes,
                    at + MINS + j * ROWS, LE).convertShape(VectorOperators.B2F, F, 0));
            long q = at + CODES + (long) j * SUB_BYTES;
            for (int s = 0; s < BLOCK / 4; s++) {
                ByteVector v = ByteVector.fromMemorySegment(B32, codes, q + s * 2 * ROWS, LE);
                ByteVector h = ByteVector.fromMemorySegment(B32, codes, q + InterleavedQ5_0.HIGHS_AT
                        + s / 4 * 2 * ROWS, LE).reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * (s % 4))
                        .reinterpretAsBytes();
                ByteVector lo = v.and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4)
                        .reinterpretAsBytes().and((byte) 0x10));
                ByteVector hi = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3)
                                .reinterpretAsBytes().and((byte) 0x10));
                int c = p + 4 * s;
                // written out: a vector passed to a call C2 does not inline is boxed
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(scale).sub(min)
                        .intoArray(packed, c * width + lane0);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(scale).sub(min)
                        .intoArray(packed, (c + 1) * width + lane0);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(scale).sub(min)
                        .intoArray(packed, (c + 2) * width + lane0);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).mul(scale).sub(min)
                        .intoArray(packed, (c + 3) * width + lane0);
            }
        }
    }

    /**
     * {@link #packGroup} in 256-bit vectors, for machines whose widest are (AVX2): the same values by the same
     * operations, each step's even columns (its first 16 bytes of nibbles and of fifth bits), then its odd ones, rows
     * 0–7 and 8–15 apart.
     */
    private void packGroupHalfWidth(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        int width = GemmKernel.NR;
        int half = F8.length();
        for (int p = 0; p < kc; p += BLOCK) {
            int sb = p / SUPER;
            int j = (p % SUPER) / BLOCK;
            long at = (long) (g * supers + (pc + p) / SUPER) * SUPER_BYTES;
            int dAt = 2 * sb * ROWS;
            int minAt = (2 * sb + 1) * ROWS;
            FloatVector scale0 = FloatVector.fromArray(F8, ds, dAt).mul((FloatVector) ByteVector.fromMemorySegment(B8,
                    codes, at + j * ROWS, LE).convertShape(VectorOperators.B2F, F8, 0));
            FloatVector scale1 = FloatVector.fromArray(F8, ds, dAt + half).mul((FloatVector) ByteVector
                    .fromMemorySegment(B8, codes, at + j * ROWS + half, LE).convertShape(VectorOperators.B2F, F8, 0));
            FloatVector min0 = FloatVector.fromArray(F8, ds, minAt).mul((FloatVector) ByteVector.fromMemorySegment(B8,
                    codes, at + MINS + j * ROWS, LE).convertShape(VectorOperators.B2F, F8, 0));
            FloatVector min1 = FloatVector.fromArray(F8, ds, minAt + half).mul((FloatVector) ByteVector
                    .fromMemorySegment(B8, codes, at + MINS + j * ROWS + half, LE)
                    .convertShape(VectorOperators.B2F, F8, 0));
            long q = at + CODES + (long) j * SUB_BYTES;
            for (int s = 0; s < BLOCK / 4; s++) {
                for (int odd = 0; odd < 2; odd++) {
                    // odd 0: columns 4s and 4s + 2; odd 1: 4s + 1 and 4s + 3
                    ByteVector v = ByteVector.fromMemorySegment(B16, codes, q + s * 2 * ROWS + odd * ROWS, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B16, codes, q + InterleavedQ5_0.HIGHS_AT
                            + s / 4 * 2 * ROWS + odd * ROWS, LE).reinterpretAsShorts()
                            .lanewise(VectorOperators.LSHR, 2 * (s % 4)).reinterpretAsBytes();
                    ByteVector lo = v.and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4)
                            .reinterpretAsBytes().and((byte) 0x10));
                    ByteVector hi = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                            .and((byte) 0x0F).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3)
                                    .reinterpretAsBytes().and((byte) 0x10));
                    int c = p + 4 * s + odd;
                    // written out: a vector passed to a call C2 does not inline is boxed
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F8, 0)).mul(scale0).sub(min0)
                            .intoArray(packed, c * width + lane0);
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F8, 1)).mul(scale1).sub(min1)
                            .intoArray(packed, c * width + lane0 + half);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F8, 0)).mul(scale0).sub(min0)
                            .intoArray(packed, (c + 2) * width + lane0);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F8, 1)).mul(scale1).sub(min1)
                            .intoArray(packed, (c + 2) * width + lane0 + half);
                }
            }
        }
    }
}
