package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.kquant.PackedScales;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q4_K matrix copied into groups of {@link #ROWS} interleaved rows, for the single-token integer kernels
 * ({@link Q4KTokenKernel}, and {@link Q4KTokenKernel256} on 256-bit machines). Each group's 256-column super-block
 * takes {@value #SUPER_BYTES} bytes: the 16 rows' eight 6-bit sub-block scales unpacked to bytes
 * ({@code [j·16 + lane]}), then their eight mins the same way, then the eight 32-column sub-blocks' four-bit codes in
 * {@link InterleavedQ4_0}'s order (so one kernel step reads both the same way). The rows' F16 {@code d} and
 * {@code dmin} sit apart, as scales do in the other copies. The copy takes 148 bytes per row and super-block against
 * the file's 144.
 */
public final class InterleavedQ4_K extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int SUPER = DType.Q4_K.blockSize();
    /** Sub-blocks of 32 columns per super-block. */
    static final int SUBS = SUPER / BLOCK;
    /** Where a group's super-block keeps its mins; its scales start at 0. */
    static final int MINS = SUBS * ROWS;
    /** Where a group's super-block keeps its codes. */
    static final int CODES = 2 * SUBS * ROWS;
    /** Bytes of one group's sub-block: 32 columns of 16 four-bit codes, as a Q4_0 block's. */
    static final int SUB_BYTES = InterleavedQ4_0.GROUP_BLOCK_BYTES;
    /** Bytes of one group's super-block: scales, mins and eight sub-blocks. */
    static final int SUPER_BYTES = CODES + SUBS * SUB_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int NIBBLES = InterleavedQ4_0.NIBBLES;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Super-blocks per row. */
    final int supers;

    /** Compiles this type's single-token kernel for this machine's width ({@link InterleavedMatrix#warmUp}). */
    static void warmUpKernel() {
        if (WIDE) {
            Q4KTokenKernel.warmUp();
        } else {
            Q4KTokenKernel256.warmUp();
        }
    }

    InterleavedQ4_K(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, 2 * (cols / SUPER), codes, scales);
        this.supers = cols / SUPER;
    }

    /** Whether {@code w} can be interleaved here: Q4_K, rows a multiple of 16, and 16- or 8-lane float vectors. */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q4_K, SUPER);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ4_K of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q4_K);
        warmUp(List.of(DType.Q4_K));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        MemorySegment[] copy = copyScaleMin(w, pool, releaseMapped, SUPER_BYTES, SUB_BYTES,
                // 64 columns per 32 bytes: sub-block 2c in the low nibbles of chunk c, 2c + 1 in the high ones
                (in, o, j, out, at, lane) -> InterleavedQ4_0.interleaveBlock(in, o + 16 + j / 2 * BLOCK, BLOCK,
                        4 * (j % 2), out, at, lane));
        return new InterleavedQ4_K(rows, cols, copy[0], copy[1]);
    }

    /** Writes row {@code lane}'s sub-block j of the file's super-block at {@code in[o]} to the group's at out[at]. */
    interface SubBlockLayout {
        void interleave(byte[] in, int o, int j, byte[] out, int at, int lane);
    }

    /**
     * The copy of a matrix with Q4_K's packed 6-bit scales and mins (Q4_K, Q5_K): per group and super-block of
     * {@code superBytes}, the 16 rows' scales and mins unpacked to bytes, then eight sub-blocks of {@code subBytes}
     * written by {@code layout}; d and dmin apart. Returns {codes, scales}.
     */
    static MemorySegment[] copyScaleMin(Tensor w, WorkerPool pool, boolean releaseMapped, int superBytes, int subBytes,
                                        SubBlockLayout layout) {
        int supers = Math.toIntExact(w.cols()) / SUPER;
        int fileBytes = w.type().blockBytes();
        return copy(w, pool, releaseMapped, SUPER, fileBytes, 0, 2, supers * superBytes, (in, rowBytes, out) -> {
            MemorySegment file = MemorySegment.ofArray(in);
            for (int lane = 0; lane < ROWS; lane++) {
                for (int sb = 0; sb < supers; sb++) {
                    int o = lane * rowBytes + sb * fileBytes;
                    int at = sb * superBytes;
                    for (int j = 0; j < SUBS; j++) {
                        out[at + j * ROWS + lane] = (byte) PackedScales.scaleK4(file, o + 4, j);
                        out[at + MINS + j * ROWS + lane] = (byte) PackedScales.minK4(file, o + 4, j);
                        layout.interleave(in, o, j, out, at + CODES + j * subBytes, lane);
                    }
                }
            }
        });
    }

    /** Bytes the copy of {@code w} takes: 148 per row and super-block. */
    public static long bytes(Tensor w) {
        return w.rows() * (w.cols() / SUPER) * (SUPER_BYTES / ROWS + 2 * Short.BYTES);
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        if (wide) {
            Q4KTokenKernel.groups(this, g, count, qx, ds, y, yOffset);
        } else {
            Q4KTokenKernel256.groups(this, g, count, qx, ds, y, yOffset);
        }
    }

    /**
     * One row of the scalar twin: per sub-block b of 32 columns, the integer sum of codes times x's int8 codes, scaled
     * by the sub-block's scale and x's block scale; per super-block, {@code d} times those minus {@code dmin} times the
     * mins' sums against x. The same order as the kernel; bit-identical with it.
     */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        return scaleMinRow(this, supers, SUPER_BYTES, g, lane, qx, (b, c) -> code(g, b, c, lane));
    }

    /** One row's code of column c of sub-block b (counted along the row). */
    interface RowCodes {
        int code(int b, int c);
    }

    /**
     * {@link #referenceRow} of a copy laid out with Q4_K's unpacked scales and mins at the start of each group's
     * super-block of {@code superBytes} (Q4_K, Q5_K), its codes read through {@code codes}.
     */
    static float scaleMinRow(InterleavedMatrix m, int supers, int superBytes, int g, int lane, QuantizedActivations qx,
                             RowCodes codes) {
        float total = 0;
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * superBytes;
            float scaled = 0;
            float mins = 0;
            for (int j = 0; j < SUBS; j++) {
                int b = sb * SUBS + j;
                int sum = 0;
                int xsum = 0;
                for (int c = 0; c < BLOCK; c++) {
                    sum += codes.code(b, c) * qx.qs[b * BLOCK + c];
                    xsum += qx.qs[b * BLOCK + c];
                }
                int scale = m.codes.get(ValueLayout.JAVA_BYTE, at + j * ROWS + lane);
                int min = m.codes.get(ValueLayout.JAVA_BYTE, at + MINS + j * ROWS + lane);
                scaled = Math.fma((float) sum * scale, qx.scales[b], scaled);
                mins = Math.fma((float) min, qx.scales[b] * xsum, mins);
            }
            long s = (long) ((g * supers + sb) * 2) * ROWS + lane;
            total = Math.fma(Float.float16ToFloat(m.scales.getAtIndex(HALF, s)), scaled, total);
            total = Math.fma(-Float.float16ToFloat(m.scales.getAtIndex(HALF, s + ROWS)), mins, total);
        }
        return total;
    }


    /** The four-bit code of column c of sub-block b (counted along the row), for row {@code lane} of group g. */
    private int code(int g, int b, int c, int lane) {
        long at = (long) (g * supers + b / SUBS) * SUPER_BYTES + CODES + (b % SUBS) * InterleavedQ4_0.GROUP_BLOCK_BYTES;
        return InterleavedQ4_0.nibble(codes, at, c, lane);
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·NR + lane0 + r]}), {@code ds} holding the columns' scales as floats:
     * {@code (d·scale)·q − dmin·min}, in the order of Q4_K's dequantization, so the values equal the file's.
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
            long q = at + CODES + (long) j * InterleavedQ4_0.GROUP_BLOCK_BYTES;
            for (int s = 0; s < InterleavedQ4_0.STEPS; s++) {
                IntVector v = ShortVector.fromMemorySegment(S, codes, q + s * InterleavedQ4_0.STEP_BYTES, LE)
                        .reinterpretAsInts();
                int c = p + 8 * s;
                // written out: a vector passed to a call C2 does not inline is boxed
                ShortVector n0 = v.and(NIBBLES).reinterpretAsShorts();
                ShortVector n1 = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts();
                ShortVector n2 = v.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts();
                ShortVector n3 = v.lanewise(VectorOperators.LSHR, 12).and(NIBBLES).reinterpretAsShorts();
                ((FloatVector) n0.convertShape(VectorOperators.S2F, F, 0)).mul(scale).sub(min)
                        .intoArray(packed, c * width + lane0);
                ((FloatVector) n0.convertShape(VectorOperators.S2F, F, 1)).mul(scale).sub(min)
                        .intoArray(packed, (c + 1) * width + lane0);
                ((FloatVector) n1.convertShape(VectorOperators.S2F, F, 0)).mul(scale).sub(min)
                        .intoArray(packed, (c + 2) * width + lane0);
                ((FloatVector) n1.convertShape(VectorOperators.S2F, F, 1)).mul(scale).sub(min)
                        .intoArray(packed, (c + 3) * width + lane0);
                ((FloatVector) n2.convertShape(VectorOperators.S2F, F, 0)).mul(scale).sub(min)
                        .intoArray(packed, (c + 4) * width + lane0);
                ((FloatVector) n2.convertShape(VectorOperators.S2F, F, 1)).mul(scale).sub(min)
                        .intoArray(packed, (c + 5) * width + lane0);
                ((FloatVector) n3.convertShape(VectorOperators.S2F, F, 0)).mul(scale).sub(min)
                        .intoArray(packed, (c + 6) * width + lane0);
                ((FloatVector) n3.convertShape(VectorOperators.S2F, F, 1)).mul(scale).sub(min)
                        .intoArray(packed, (c + 7) * width + lane0);
            }
        }
    }

    /**
     * {@link #packGroup} in 256-bit vectors, for copies on 256-bit machines and {@link #halfWidth} ones: each step's
     * even columns, then its odd ones, rows 0–7 and 8–15 apart, with the 512-bit path's products and rounding.
     */
    private void packGroupHalfWidth(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        int width = GemmKernel.NR;
        for (int p = 0; p < kc; p += BLOCK) {
            int sb = p / SUPER;
            int j = (p % SUPER) / BLOCK;
            long at = (long) (g * supers + (pc + p) / SUPER) * SUPER_BYTES;
            int e = 2 * sb * ROWS;
            long sc = at + j * ROWS;
            long mn = at + MINS + j * ROWS;
            FloatVector scale0 = FloatVector.fromArray(F8, ds, e).mul((FloatVector) ByteVector.fromMemorySegment(B8,
                    codes, sc, LE).convertShape(VectorOperators.B2F, F8, 0));
            FloatVector scale1 = FloatVector.fromArray(F8, ds, e + 8).mul((FloatVector) ByteVector.fromMemorySegment(
                    B8, codes, sc + 8, LE).convertShape(VectorOperators.B2F, F8, 0));
            FloatVector min0 = FloatVector.fromArray(F8, ds, e + ROWS).mul((FloatVector) ByteVector.fromMemorySegment(
                    B8, codes, mn, LE).convertShape(VectorOperators.B2F, F8, 0));
            FloatVector min1 = FloatVector.fromArray(F8, ds, e + ROWS + 8).mul((FloatVector) ByteVector
                    .fromMemorySegment(B8, codes, mn + 8, LE).convertShape(VectorOperators.B2F, F8, 0));
            long q = at + CODES + (long) j * SUB_BYTES;
            for (int s = 0; s < InterleavedQ4_0.STEPS; s++) {
                for (int half = 0; half < 2; half++) {
                    IntVector v = ShortVector.fromMemorySegment(S16, codes,
                            q + s * InterleavedQ4_0.STEP_BYTES + half * InterleavedQ4_0.STEP_BYTES / 2, LE)
                            .reinterpretAsInts();
                    int c = p + 8 * s + half;
                    for (int k = 0; k < 4; k++) {
                        ShortVector n = v.lanewise(VectorOperators.LSHR, 4 * k).and(NIBBLES).reinterpretAsShorts();
                        int o = (c + 2 * k) * width + lane0;
                        ((FloatVector) n.convertShape(VectorOperators.S2F, F8, 0)).mul(scale0).sub(min0)
                                .intoArray(packed, o);
                        ((FloatVector) n.convertShape(VectorOperators.S2F, F8, 1)).mul(scale1).sub(min1)
                                .intoArray(packed, o + 8);
                    }
                }
            }
        }
    }
}
