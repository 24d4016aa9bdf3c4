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
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q3_K matrix copied into groups of {@link #ROWS} interleaved rows, for the single-token integer kernels
 * ({@link Q3KTokenKernel}, and {@link Q3KTokenKernel256} on 256-bit machines). Each group's 256-column super-block
 * holds the 16 rows' sixteen signed sub-block scales (the file's 6-bit scales minus 32, unpacked to bytes at
 * {@code [k·16 + lane]}, one per 16 columns), then per 16-column sub-block the codes' low two bits and their high
 * bits:
 * <ul>
 *   <li>two chunks of 32 bytes, one per 8 columns: bits {@code 2k, 2k + 1} of byte {@code lane} hold row lane's
 *       column {@code 2k} of the chunk, of byte {@code 16 + lane} its column {@code 2k + 1} (so one mask after a
 *       16-bit shift gives a widened column pair, as the spread activations take it);</li>
 *   <li>32 bytes of high bits: bit m of byte {@code lane} is the high bit of column {@code 2m}, of byte
 *       {@code 16 + lane} of column {@code 2m + 1}.</li>
 * </ul>
 * A code is the file's value plus 4 (0–7). The rows' F16 {@code d} sit apart, as scales do in the other copies. The
 * copy takes 114 bytes per row and super-block against the file's 110.
 */
public final class InterleavedQ3_K extends InterleavedMatrix {
    /** Rows per interleaved group. */
    public static final int ROWS = InterleavedMatrix.ROWS;
    private static final int SUPER = DType.Q3_K.blockSize();
    private static final int SUPER_FILE_BYTES = DType.Q3_K.blockBytes();
    /** Columns per sub-block scale. */
    static final int SUB = 16;
    /** Sub-blocks per super-block. */
    static final int SUBS = SUPER / SUB;
    /** Where a group's super-block keeps its first sub-block; its scales start at 0. */
    static final int SUBS_AT = SUBS * ROWS;
    /** Bytes of one group's chunk of 8 columns' low bits. */
    static final int CHUNK_BYTES = 2 * ROWS;
    /** Where a sub-block keeps its high bits, after its two chunks. */
    static final int HIGHS_AT = 2 * CHUNK_BYTES;
    /** Bytes of one group's sub-block: two chunks of low bits, then the high bits. */
    static final int SUB_BYTES = HIGHS_AT + 2 * ROWS;
    /** Bytes of one group's super-block. */
    static final int SUPER_BYTES = SUBS_AT + SUBS * SUB_BYTES;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Super-blocks per row. */
    final int supers;

    /** Compiles this type's single-token kernel for this machine's width ({@link InterleavedMatrix#warmUp}). */
    static void warmUpKernel() {
        if (WIDE) {
            Q3KTokenKernel.warmUp();
        } else {
            Q3KTokenKernel256.warmUp();
        }
    }

    InterleavedQ3_K(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        super(rows, cols, cols / SUPER, codes, scales);
        this.supers = cols / SUPER;
    }

    /** Whether {@code w} can be interleaved here: Q3_K, rows a multiple of 16, and 16- or 8-lane float vectors. */
    public static boolean supports(Tensor w) {
        return fits(w, DType.Q3_K, SUPER);
    }

    /**
     * The interleaved copy of {@code w}, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied.
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedQ3_K of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        requireSupported(w, supports(w), DType.Q3_K);
        warmUp(List.of(DType.Q3_K));
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        int supers = cols / SUPER;
        MemorySegment[] copy = copy(w, pool, releaseMapped, SUPER, SUPER_FILE_BYTES, SUPER_FILE_BYTES - 2, 1,
                supers * SUPER_BYTES, (in, rowBytes, out) -> {
                    for (int lane = 0; lane < ROWS; lane++) {
                        for (int sb = 0; sb < supers; sb++) {
                            interleaveSuper(in, lane * rowBytes + sb * SUPER_FILE_BYTES, out, sb * SUPER_BYTES, lane);
                        }
                    }
                });
        return new InterleavedQ3_K(rows, cols, copy[0], copy[1]);
    }

    /**
     * Row {@code lane}'s super-block of the file at {@code in[o]} ({hmask[32], qs[64], scales[12], d}) into the
     * group's super-block at {@code out[at]}. Column {@code 128n + 32j + l} has its low bits in bits {@code 2j, 2j + 1}
     * of {@code qs[32n + l]} and its high bit in bit {@code 4n + j} of {@code hmask[l]}; each 16 columns share a
     * 6-bit scale, biased by 32. Sub-block k is thus columns {@code l0 .. l0 + 15} (l0 = 16·(k mod 2)) of n = k / 8,
     * j = (k / 2) mod 4; each byte written gathers its codes from the file's bytes.
     */
    private static void interleaveSuper(byte[] in, int o, byte[] out, int at, int lane) {
        MemorySegment file = MemorySegment.ofArray(in);
        for (int k = 0; k < SUBS; k++) {
            out[at + k * ROWS + lane] = (byte) PackedScales.scaleQ3(file, o + 96, k);
            int n = k >>> 3;
            int j = (k >>> 1) & 3;
            int qs = o + 32 + 32 * n + 16 * (k & 1);
            int hmask = o + 16 * (k & 1);
            int sub = at + SUBS_AT + k * SUB_BYTES;
            interleaveLowPairs(in, qs, j, out, sub, lane);
            for (int side = 0; side < 2; side++) {
                int highs = 0;
                for (int m = 0; m < 8; m++) {
                    highs |= ((in[hmask + 2 * m + side] >>> (4 * n + j)) & 1) << m;
                }
                out[sub + HIGHS_AT + side * ROWS + lane] = (byte) highs;
            }
        }
    }

    /**
     * Row {@code lane}'s 16 columns of bit pairs, bits {@code 2j, 2j + 1} of {@code in[qs .. qs + 15]} (GGML's Q2_K
     * codes and Q3_K's low bits), into the two chunks of the group's sub-block at {@code out[sub]}.
     */
    static void interleaveLowPairs(byte[] in, int qs, int j, byte[] out, int sub, int lane) {
        for (int side = 0; side < 2; side++) {
            for (int chunk = 0; chunk < 2; chunk++) {
                int bits = 0;
                for (int pair = 0; pair < 4; pair++) {
                    bits |= ((in[qs + 8 * chunk + 2 * pair + side] >>> (2 * j)) & 3) << (2 * pair);
                }
                out[sub + chunk * CHUNK_BYTES + side * ROWS + lane] = (byte) bits;
            }
        }
    }

    /** The bit pair of column t (0–15) of the sub-block at {@code sub} of {@code codes}, for row {@code lane}. */
    static int lowPair(MemorySegment codes, long sub, int t, int lane) {
        return codes.get(ValueLayout.JAVA_BYTE, sub + (t / 8) * CHUNK_BYTES + (t % 2) * ROWS + lane)
                >>> (2 * ((t % 8) / 2)) & 3;
    }

    /** Bytes the copy of {@code w} takes: 114 per row and super-block. */
    public static long bytes(Tensor w) {
        return w.rows() * (w.cols() / SUPER) * (SUPER_BYTES / ROWS + Short.BYTES);
    }

    @Override
    void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset) {
        if (wide) {
            Q3KTokenKernel.groups(this, g, count, qx, ds, y, yOffset);
        } else {
            Q3KTokenKernel256.groups(this, g, count, qx, ds, y, yOffset);
        }
    }

    /**
     * One row of the scalar twin: per 16 columns the integer sum of codes times x's int8 codes, less 4 times x's
     * codes' sum, times the sub-block's scale and x's block scale, added up per super-block and times {@code d}. The
     * same order as the kernel; bit-identical with it.
     */
    @Override
    float referenceRow(int g, int lane, QuantizedActivations qx) {
        float total = 0;
        for (int sb = 0; sb < supers; sb++) {
            long at = (long) (g * supers + sb) * SUPER_BYTES;
            float scaled = 0;
            for (int k = 0; k < SUBS; k++) {
                int sum = 0;
                int xsum = 0;
                for (int c = k * SUB; c < (k + 1) * SUB; c++) {
                    sum += code(at, c, lane) * qx.qs[sb * SUPER + c];
                    xsum += qx.qs[sb * SUPER + c];
                }
                int scale = codes.get(ValueLayout.JAVA_BYTE, at + k * ROWS + lane);
                scaled = Math.fma((float) (sum - 4 * xsum) * scale, qx.scales[(sb * SUPER + k * SUB) / BLOCK],
                        scaled);
            }
            float d = Float.float16ToFloat(scales.getAtIndex(HALF, (long) (g * supers + sb) * ROWS + lane));
            total = Math.fma(d, scaled, total);
        }
        return total;
    }

    /** The 3-bit code (value + 4) of column c of the super-block at {@code at}, for row {@code lane}. */
    private int code(long at, int c, int lane) {
        long sub = at + SUBS_AT + (long) (c / SUB) * SUB_BYTES;
        int t = c % SUB;
        int high = codes.get(ValueLayout.JAVA_BYTE, sub + HIGHS_AT + (t % 2) * ROWS + lane) >>> (t / 2) & 1;
        return lowPair(codes, sub, t, lane) | high << 2;
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a
     * sliver ({@code packed[p·NR + lane0 + r]}, NR = {@link GemmKernel#NR}), {@code ds} holding the columns' scales
     * as floats: {@code (d·scale)·(code − 4)}, in the order of Q3_K's dequantization, so the values equal the file's;
     * in 256-bit vectors on a half-width copy ({@link #packGroupHalfWidth}).
     */
    @Override
    void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        if (!wide) {
            packGroupHalfWidth(g, pc, kc, ds, packed, lane0);
            return;
        }
        int width = GemmKernel.NR;
        for (int p = 0; p < kc; p += SUB) {
            long at = (long) (g * supers + (pc + p) / SUPER) * SUPER_BYTES;
            int k = (p % SUPER) / SUB;
            FloatVector scale = FloatVector.fromArray(F, ds, p / SUPER * ROWS).mul((FloatVector) ByteVector
                    .fromMemorySegment(B16, codes, at + (long) k * ROWS, LE).convertShape(VectorOperators.B2F, F, 0));
            long sub = at + SUBS_AT + (long) k * SUB_BYTES;
            ByteVector h = ByteVector.fromMemorySegment(B32, codes, sub + HIGHS_AT, LE);
            for (int chunk = 0; chunk < 2; chunk++) {
                ByteVector v = ByteVector.fromMemorySegment(B32, codes, sub + chunk * CHUNK_BYTES, LE);
                for (int pair = 0; pair < 4; pair++) {
                    int m = 4 * chunk + pair;
                    ByteVector code = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * pair)
                            .reinterpretAsBytes().and((byte) 3)
                            .or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, m).reinterpretAsBytes()
                                    .and((byte) 1).lanewise(VectorOperators.LSHL, 2))
                            .sub((byte) 4);
                    int c = p + 8 * chunk + 2 * pair;
                    // written out: a vector passed to a call C2 does not inline is boxed
                    scale.mul((FloatVector) code.convertShape(VectorOperators.B2F, F, 0))
                            .intoArray(packed, c * width + lane0);
                    scale.mul((FloatVector) code.convertShape(VectorOperators.B2F, F, 1))
                            .intoArray(packed, (c + 1) * width + lane0);
                }
            }
        }
    }

    /**
     * {@link #packGroup} in 256-bit vectors, for machines whose widest are (AVX2): the same values by the same
     * operations, each sub-block's even columns (the first 16 bytes of its chunks and of its high bits), then its odd
     * ones, each widened to 16 shorts, rows 0–7 and 8–15 apart.
     */
    private void packGroupHalfWidth(int g, int pc, int kc, float[] ds, float[] packed, int lane0) {
        int width = GemmKernel.NR;
        int half = F8.length();
        for (int p = 0; p < kc; p += SUB) {
            long at = (long) (g * supers + (pc + p) / SUPER) * SUPER_BYTES;
            int k = (p % SUPER) / SUB;
            int dAt = p / SUPER * ROWS;
            FloatVector scale0 = FloatVector.fromArray(F8, ds, dAt).mul((FloatVector) ByteVector
                    .fromMemorySegment(B8, codes, at + (long) k * ROWS, LE).convertShape(VectorOperators.B2F, F8, 0));
            FloatVector scale1 = FloatVector.fromArray(F8, ds, dAt + half).mul((FloatVector) ByteVector
                    .fromMemorySegment(B8, codes, at + (long) k * ROWS + half, LE)
                    .convertShape(VectorOperators.B2F, F8, 0));
            long sub = at + SUBS_AT + (long) k * SUB_BYTES;
            for (int odd = 0; odd < 2; odd++) {
                // the high bits shifted left by 2: column t's (bit t / 2) lands on bit 2 after a shift right by t / 2
                ShortVector h = ((ShortVector) ByteVector.fromMemorySegment(B16, codes, sub + HIGHS_AT + odd * ROWS,
                        LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.LSHL, 2);
                for (int chunk = 0; chunk < 2; chunk++) {
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, codes,
                            sub + chunk * CHUNK_BYTES + odd * ROWS, LE).convertShape(VectorOperators.B2S, S16, 0);
                    for (int pair = 0; pair < 4; pair++) {
                        ShortVector code = v.lanewise(VectorOperators.LSHR, 2 * pair).and((short) 3)
                                .or(h.lanewise(VectorOperators.LSHR, 4 * chunk + pair).and((short) 4))
                                .sub((short) 4);
                        int o = (p + 8 * chunk + 2 * pair + odd) * width + lane0;
                        // written out: a vector passed to a call C2 does not inline is boxed
                        scale0.mul((FloatVector) code.convertShape(VectorOperators.S2F, F8, 0)).intoArray(packed, o);
                        scale1.mul((FloatVector) code.convertShape(VectorOperators.S2F, F8, 1))
                                .intoArray(packed, o + half);
                    }
                }
            }
        }
    }
}
