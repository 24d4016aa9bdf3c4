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
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q2_K matrix copied into groups of {@link #ROWS} interleaved rows, for the single-token integer kernels
 * ({@link Q2KTokenKernel}, and {@link Q2KTokenKernel256} on 256-bit machines), in as many bytes as the file. Each
 * group's 256-column super-block holds the 16 rows' sixteen scale bytes as the file has them (scale in the low
 * nibble, min in the high one; at {@code [k·16 + lane]}, one per 16 columns), then per 16-column sub-block the two-bit
 * codes in {@link InterleavedQ3_K}'s two chunks of low bit pairs (bits {@code 2k, 2k + 1} of byte {@code lane} hold
 * row lane's column {@code 2k} of the chunk, of byte {@code 16 + lane} its column {@code 2k + 1}). The rows' F16
 * {@code d} and {@code dmin} sit apart, as scales do in the other copies.
 */
public final class InterleavedQ2_K extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int SUPER = DType.Q2_K.blockSize();
    private static final int SUPER_FILE_BYTES = DType.Q2_K.blockBytes();
    /** Columns per sub-block scale. */
    static final int SUB = 16;
    /** Sub-blocks per super-block. */
    static final int SUBS = SUPER / SUB;
    /** Where a group's super-block keeps its first sub-block; its scales start at 0. */
    static final int SUBS_AT = SUBS * ROWS;
    /** Bytes of one group's chunk of 8 columns' codes. */
    static final int CHUNK_BYTES = 2 * ROWS;
    /** Bytes of one group's sub-block: two chunks. */
    static final int SUB_BYTES = 2 * CHUNK_BYTES;
    /** Bytes of one group's super-block. */
    static final int SUPER_BYTES = SUBS_AT + SUBS * SUB_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Super-blocks per row. */
    final int supers;

    /** Compiles this type's single-token kernel for this machine's width ({@link InterleavedMatrix#warmUp}). */
    static void warmUpKernel() {
        if (WIDE) {
            Q2KTokenKernel.warmUp();
        } else {
            Q2KTokenKernel256.warmUp();
        }
    }

    InterleavedQ2_K(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, 2 * (cols / SUPER), codes, scales);
        this.supers = cols / SUPER;
    }

    /** Whether {@code w} can be interleaved here: Q2_K, rows a multiple of 16, and 16- or 8-lane float vectors. */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q2_K, SUPER);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ2_K of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q2_K);
        warmUp(List.of(DType.Q2_K));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int supers = cols / SUPER;
        MemorySegment[] copy = copy(w, pool, releaseMapped, SUPER, SUPER_FILE_BYTES, SUPER_FILE_BYTES - 4, 2,
                supers * SUPER_BYTES, (in, rowBytes, out) -> {
                    for (int lane = 0; lane < ROWS; lane++) {
                        for (int sb = 0; sb < supers; sb++) {
                            interleaveSuper(in, lane * rowBytes + sb * SUPER_FILE_BYTES, out, sb * SUPER_BYTES, lane);
                        }
                    }
                });
        return new InterleavedQ2_K(rows, cols, copy[0], copy[1]);
    }

    /**
     * Row {@code lane}'s super-block of the file at {@code in[o]} ({scales[16], qs[64], d, dmin}) into the group's
     * super-block at {@code out[at]}. Column {@code 128n + 32j + l} has its code in bits {@code 2j, 2j + 1} of
     * {@code qs[32n + l]}, as Q3_K's low bits; sub-block k is columns {@code l0 .. l0 + 15} (l0 = 16·(k mod 2)) of
     * n = k / 8, j = (k / 2) mod 4.
     */
    private static void interleaveSuper(byte[] in, int o, byte[] out, int at, int lane) {
        for (int k = 0; k < SUBS; k++) {
            out[at + k * ROWS + lane] = in[o + k];
            int j = (k >>> 1) & 3;
            int qs = o + 16 + 32 * (k >>> 3) + 16 * (k & 1);
            InterleavedQ3_K.interleaveLowPairs(in, qs, j, out, at + SUBS_AT + k * SUB_BYTES, lane);
        }
    }

    /** Bytes the copy of {@code w} takes: as many as Q2_K itself, 84 per row and super-block. */
    public static long bytes(Tensor w) {
        return w.rows() * (w.cols() / SUPER) * (SUPER_BYTES / ROWS + 2 * Short.BYTES);
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        if (wide) {
            Q2KTokenKernel.groups(this, g, count, qx, ds, y, yOffset);
        } else {
            Q2KTokenKernel256.groups(this, g, count, qx, ds, y, yOffset);
        }
    }

    /**
     * One row of the scalar twin: per 16 columns the integer sum of codes times x's int8 codes, scaled by the
     * sub-block's scale and x's block scale, and its min times x's block scale and sum there; per super-block,
     * {@code d} times the first less {@code dmin} times the second. The same order as the kernel; bit-identical.
     */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        float total = 0;
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * SUPER_BYTES;
            float scaled = 0;
            float mins = 0;
            for (int k = 0; k < SUBS; k++) {
                int sum = 0;
                int xsum = 0;
                for (int c = k * SUB; c < (k + 1) * SUB; c++) {
                    sum += code(at, c, lane) * qx.qs[sb * SUPER + c];
                    xsum += qx.qs[sb * SUPER + c];
                }
                int packed = codes.get(ValueLayout.JAVA_BYTE, at + k * ROWS + lane) & 0xFF;
                float dx = qx.scales[(sb * SUPER + k * SUB) / BLOCK];
                scaled = Math.fma((float) sum * (packed & 0xF), dx, scaled);
                mins = Math.fma((float) (packed >>> 4), dx * xsum, mins);
            }
            long s = (long) ((g * supers + sb) * 2) * ROWS + lane;
            total = Math.fma(Float.float16ToFloat(scales.getAtIndex(HALF, s)), scaled, total);
            total = Math.fma(-Float.float16ToFloat(scales.getAtIndex(HALF, s + ROWS)), mins, total);
        }
        return total;
    }

    /** The 2-bit code of column c of the super-block at {@code at}, for row {@code lane}. */
    private int code(long at, int c, int lane) {
        return InterleavedQ3_K.lowPair(codes, at + SUBS_AT + (long) (c / SUB) * SUB_BYTES, c % SUB, lane);
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·NR + lane0 + r]}, NR = {@link GemmKernel#NR}), {@code ds} holding the columns' d and
     * dmin as floats: {@code q·(d·scale) − dmin·min}, in the order of Q2_K's dequantization, so the values equal the
     * file's; in 256-bit vectors on a half-width copy ({@link #packGroupHalfWidth}).
     */
    @Override
    void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        if (!wide) {
            packGroupHalfWidth(g, pc, kc, ds, packed, lane0);
            return;
        }
        int width = GemmKernel.NR;
        for (int p = 0; p < kc; p += SUB) {
            int sb = p / SUPER;
            long at = (long) (g * supers + (pc + p) / SUPER) * SUPER_BYTES;
            int k = (p % SUPER) / SUB;
            ByteVector both = ByteVector.fromMemorySegment(B16, codes, at + (long) k * ROWS, LE);
            FloatVector scale = FloatVector.fromArray(F, ds, 2 * sb * ROWS)
                    .mul((FloatVector) both.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0));
            FloatVector min = FloatVector.fromArray(F, ds, (2 * sb + 1) * ROWS).mul((FloatVector) both
                    .lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0));
            long sub = at + SUBS_AT + (long) k * SUB_BYTES;
            for (int chunk = 0; chunk < 2; chunk++) {
                ByteVector v = ByteVector.fromMemorySegment(B32, codes, sub + chunk * CHUNK_BYTES, LE);
                for (int pair = 0; pair < 4; pair++) {
                    ByteVector code = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * pair)
                            .reinterpretAsBytes().and((byte) 3);
                    int c = p + 8 * chunk + 2 * pair;
                    // written out: a vector passed to a call C2 does not inline is boxed
                    ((FloatVector) code.convertShape(VectorOperators.B2F, F, 0)).mul(scale).sub(min)
                            .intoArray(packed, c * width + lane0);
                    ((FloatVector) code.convertShape(VectorOperators.B2F, F, 1)).mul(scale).sub(min)
                            .intoArray(packed, (c + 1) * width + lane0);
                }
            }
        }
    }

    /**
     * {@link #packGroup} in 256-bit vectors, for machines whose widest are (AVX2): the same values by the same
     * operations, each chunk's even columns (its first 16 bytes), then its odd ones, each widened to 16 shorts, rows
     * 0–7 and 8–15 apart; the scale and min nibbles are taken in 32-bit lanes.
     */
    private void packGroupHalfWidth(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        int width = GemmKernel.NR;
        int half = F8.length();
        for (int p = 0; p < kc; p += SUB) {
            int sb = p / SUPER;
            long at = (long) (g * supers + (pc + p) / SUPER) * SUPER_BYTES;
            int k = (p % SUPER) / SUB;
            int dAt = 2 * sb * ROWS;
            int minAt = (2 * sb + 1) * ROWS;
            IntVector both0 = (IntVector) ByteVector.fromMemorySegment(B8, codes, at + (long) k * ROWS, LE)
                    .convertShape(VectorOperators.B2I, I8, 0);
            IntVector both1 = (IntVector) ByteVector.fromMemorySegment(B8, codes, at + (long) k * ROWS + half, LE)
                    .convertShape(VectorOperators.B2I, I8, 0);
            FloatVector scale0 = FloatVector.fromArray(F8, ds, dAt)
                    .mul((FloatVector) both0.and(0x0F).convert(VectorOperators.I2F, 0));
            FloatVector scale1 = FloatVector.fromArray(F8, ds, dAt + half)
                    .mul((FloatVector) both1.and(0x0F).convert(VectorOperators.I2F, 0));
            FloatVector min0 = FloatVector.fromArray(F8, ds, minAt).mul((FloatVector) both0
                    .lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0));
            FloatVector min1 = FloatVector.fromArray(F8, ds, minAt + half).mul((FloatVector) both1
                    .lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0));
            long sub = at + SUBS_AT + (long) k * SUB_BYTES;
            for (int chunk = 0; chunk < 2; chunk++) {
                for (int odd = 0; odd < 2; odd++) {
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, codes,
                            sub + chunk * CHUNK_BYTES + odd * ROWS, LE).convertShape(VectorOperators.B2S, S16, 0);
                    for (int pair = 0; pair < 4; pair++) {
                        ShortVector code = v.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3);
                        int o = (p + 8 * chunk + 2 * pair + odd) * width + lane0;
                        // written out: a vector passed to a call C2 does not inline is boxed
                        ((FloatVector) code.convertShape(VectorOperators.S2F, F8, 0)).mul(scale0).sub(min0)
                                .intoArray(packed, o);
                        ((FloatVector) code.convertShape(VectorOperators.S2F, F8, 1)).mul(scale1).sub(min1)
                                .intoArray(packed, o + half);
                    }
                }
            }
        }
    }
}
