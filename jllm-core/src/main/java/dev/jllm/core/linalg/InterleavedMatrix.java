package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.HugePages;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;

/**
 * A quantized matrix copied off the heap into groups of 16 rows whose codes sit in a type's own interleaved order
 * ({@link InterleavedQ8_0}, {@link InterleavedQ4_0}, {@link InterleavedQ4_1}, {@link InterleavedQ5_0},
 * {@link InterleavedQ5_1}, {@link InterleavedQ2_K}, {@link InterleavedQ3_K}, {@link InterleavedQ4_K},
 * {@link InterleavedQ5_K},
 * {@link InterleavedQ6_K}), with the 16
 * rows' F16 block scales apart, as in the file. A decoder copies its matrices once as it loads and runs every product
 * from the copies: one token through an integer kernel on int8 activations ({@link #multiplyQuantized}), more
 * through {@link #multiply}. This class holds what the types share: the copy from a (possibly mapped) tensor, the shape checks, the single-token driver that quantizes x
 * once and splits runs of row groups (one kernel call each) of several matrices across the workers, and the slivers the packed GEMM reads.
 */
public abstract sealed class InterleavedMatrix permits InterleavedQ8_0, InterleavedQ4_0, InterleavedQ4_1,
        InterleavedQ5_0, InterleavedQ5_1,
        InterleavedQ2_K, InterleavedQ3_K, InterleavedQ4_K, InterleavedQ5_K, InterleavedQ6_K {
    /** Rows per interleaved group. */
    static final int ROWS = 16;
    /** Columns per block of the integer kernels (and per F16 scale in Q8_0 and Q4_0). */
    static final int BLOCK = 32;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ThreadLocal<SpreadToken> SPREAD = ThreadLocal.withInitial(SpreadToken::new);
    private static final ThreadLocal<float[]> RUN_SCALES = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> SLIVER_SCALES = ThreadLocal.withInitial(() -> new float[0]);

    final int rows;
    final int cols;
    final int blocks;
    /** F16 scales per row in a group: 16-lane sets of them, each group's after the previous group's. */
    final int scaleSets;
    final MemorySegment codes;
    final MemorySegment scales;
    /**
     * Groups between those of one kernel call: a quarter of the matrix, so that the calls a worker runs one after
     * another continue the same four streams of codes rather than start four short ones (an 896-column group is 7 KB
     * of Q4_0, too short for the prefetchers to get going).
     */
    final int runStep;
    /**
     * Whether this copy runs the 16-lane kernels (512-bit vectors) or the half-width ones (256-bit, AVX2); set from
     * the machine, and to half width by {@link #halfWidth} for tests and A/B runs on a 512-bit machine.
     */
    boolean wide = WIDE;

    /** Whether this machine's vectors hold 16 floats: the width the kernels were first written for. */
    static final boolean WIDE = FloatVector.SPECIES_PREFERRED.length() == 16;
    /** Whether they hold 8 (AVX2), where the copies run their half-width kernels. */
    static final boolean HALF_WIDTH = FloatVector.SPECIES_PREFERRED.length() == 8;

    InterleavedMatrix(int rows, int cols, int scaleSets, MemorySegment codes, MemorySegment scales) {
        this.rows = rows;
        this.cols = cols;
        this.blocks = cols / BLOCK;
        this.scaleSets = scaleSets;
        this.codes = codes;
        this.scales = scales;
        this.runStep = Math.max(1, (rows / ROWS + RUN_GROUPS - 1) / RUN_GROUPS);
    }

    /**
     * Whether this machine runs the interleaved copies at all: float vectors of 16 lanes (AVX-512) or of 8 (AVX2),
     * every type having kernels of both widths.
     */
    public static boolean runsOnThisMachine() {
        return WIDE || HALF_WIDTH;
    }

    /** Whether {@code w} has a type, shape and size one of the interleaved copies takes, on this machine. */
    public static boolean supports(Tensor w) {
        return InterleavedQ8_0.supports(w) || InterleavedQ4_0.supports(w) || InterleavedQ4_1.supports(w)
                || InterleavedQ5_0.supports(w) || InterleavedQ5_1.supports(w)
                || InterleavedQ2_K.supports(w) || InterleavedQ3_K.supports(w) || InterleavedQ4_K.supports(w)
                || InterleavedQ5_K.supports(w)
                || InterleavedQ6_K.supports(w);
    }

    /**
     * The interleaved copy of {@code w} in its type's layout, made by the pool's threads (the caller's if null); with
     * {@code releaseMapped}, the pages of a mapped {@code w} are released as they are copied (see {@link #copy}).
     *
     * @throws IllegalArgumentException if {@link #supports} says no, naming the tensor
     */
    public static InterleavedMatrix of(Tensor w, WorkerPool pool, boolean releaseMapped) {
        if (InterleavedQ4_0.supports(w)) {
            return InterleavedQ4_0.of(w, pool, releaseMapped);
        }
        if (InterleavedQ4_1.supports(w)) {
            return InterleavedQ4_1.of(w, pool, releaseMapped);
        }
        if (InterleavedQ5_0.supports(w)) {
            return InterleavedQ5_0.of(w, pool, releaseMapped);
        }
        if (InterleavedQ5_1.supports(w)) {
            return InterleavedQ5_1.of(w, pool, releaseMapped);
        }
        if (InterleavedQ2_K.supports(w)) {
            return InterleavedQ2_K.of(w, pool, releaseMapped);
        }
        if (InterleavedQ3_K.supports(w)) {
            return InterleavedQ3_K.of(w, pool, releaseMapped);
        }
        if (InterleavedQ4_K.supports(w)) {
            return InterleavedQ4_K.of(w, pool, releaseMapped);
        }
        if (InterleavedQ5_K.supports(w)) {
            return InterleavedQ5_K.of(w, pool, releaseMapped);
        }
        if (InterleavedQ6_K.supports(w)) {
            return InterleavedQ6_K.of(w, pool, releaseMapped);
        }
        return InterleavedQ8_0.of(w, pool, releaseMapped);
    }

    /** Bytes the copy of {@code w} would take off the heap; {@code w} must be {@link #supports supported}. */
    public static long bytes(Tensor w) {
        if (InterleavedQ4_0.supports(w)) {
            return InterleavedQ4_0.bytes(w);
        }
        if (InterleavedQ4_1.supports(w)) {
            return InterleavedQ4_1.bytes(w);
        }
        if (InterleavedQ5_0.supports(w)) {
            return InterleavedQ5_0.bytes(w);
        }
        if (InterleavedQ5_1.supports(w)) {
            return InterleavedQ5_1.bytes(w);
        }
        if (InterleavedQ2_K.supports(w)) {
            return InterleavedQ2_K.bytes(w);
        }
        if (InterleavedQ3_K.supports(w)) {
            return InterleavedQ3_K.bytes(w);
        }
        if (InterleavedQ4_K.supports(w)) {
            return InterleavedQ4_K.bytes(w);
        }
        if (InterleavedQ5_K.supports(w)) {
            return InterleavedQ5_K.bytes(w);
        }
        return InterleavedQ6_K.supports(w) ? InterleavedQ6_K.bytes(w) : InterleavedQ8_0.bytes(w);
    }

    /** Rows of the matrix. */
    public int rows() {
        return rows;
    }

    /** Columns of the matrix. */
    public int cols() {
        return cols;
    }

    /** Rewrites one group's blocks: 16 rows of the file's bytes ({@code rowBytes} each) into the type's order. */
    interface GroupLayout {
        void interleave(byte[] in, int rowBytes, byte[] out);
    }

    /**
     * Copies {@code w} group by group through {@code layout} into a new segment of {@code codeBytesPerGroup} per
     * group, and the F16 scales of each of its blocks ({@code halves} of them from byte {@code scaleAt} of each block
     * of {@code blockSize} columns and {@code blockBytes} bytes) into another, scale h of block b of the group's 16
     * rows at {@code [(b·halves + h)·16 + lane]}, by the pool's threads (the caller's if null). With
     * {@code releaseMapped}, the pages of a mapped w are released from this process as soon as they are copied
     * (reading w later maps them again), so that copying a mapped model does not hold both at once. Returns {codes,
     * scales}.
     */
    static MemorySegment[] copy(Tensor w, WorkerPool pool, boolean releaseMapped, int blockSize, int blockBytes,
                                int scaleAt, int halves, int codeBytesPerGroup, GroupLayout layout) {
        int rows = Math.toIntExact(w.rows());
        int blocks = Math.toIntExact(w.cols()) / blockSize;
        int rowBytes = Math.toIntExact(w.rowBytes());
        // huge pages: a token streams every copy once, and 4 KiB pages cost TLB misses and prefetch restarts
        Arena arena = Arena.ofAuto();
        MemorySegment codes = HugePages.allocate(arena, (long) rows / ROWS * codeBytesPerGroup);
        MemorySegment scales = HugePages.allocate(arena, (long) rows * blocks * halves * Short.BYTES);
        int groups = rows / ROWS;
        WorkerPool.RangeTask copy = (from, to) -> {
            byte[] in = new byte[ROWS * rowBytes];
            byte[] out = new byte[codeBytesPerGroup];
            short[] d = new short[ROWS * blocks * halves];
            for (int g = from; g < to; g++) {
                MemorySegment.copy(w.data(), ValueLayout.JAVA_BYTE, (long) g * ROWS * rowBytes, in, 0, in.length);
                for (int lane = 0; lane < ROWS; lane++) {
                    for (int b = 0; b < blocks; b++) {
                        for (int h = 0; h < halves; h++) {
                            int o = lane * rowBytes + b * blockBytes + scaleAt + 2 * h;
                            d[(b * halves + h) * ROWS + lane] = (short) ((in[o] & 0xFF) | (in[o + 1] << 8));
                        }
                    }
                }
                layout.interleave(in, rowBytes, out);
                MemorySegment.copy(out, 0, codes, ValueLayout.JAVA_BYTE, (long) g * out.length, out.length);
                MemorySegment.copy(d, 0, scales, HALF, (long) g * d.length * Short.BYTES, d.length);
            }
            if (releaseMapped && w.data().isMapped()) {
                w.data().asSlice((long) from * ROWS * rowBytes, (long) (to - from) * ROWS * rowBytes).unload();
            }
        };
        if (pool == null) {
            copy.run(0, groups);
        } else {
            // chunks of at most 32 groups (a few MB), so that little of a mapped w is resident at once
            pool.parallelForDynamic(groups, Math.max(1, Math.min(32, groups / (pool.threads() * 8))), copy);
        }
        return new MemorySegment[] {codes, scales};
    }

    void check(float[] x, int xOffset, int n, float[] y, int yOffset) {
        if (n < 0 || xOffset < 0 || yOffset < 0 || xOffset + (long) n * cols > x.length
                || yOffset + (long) n * rows > y.length) {
            throw new IllegalArgumentException("x[" + x.length + "] from " + xOffset + " and y[" + y.length + "] from "
                    + yOffset + " do not fit " + n + " tokens of a [" + rows + ", " + cols + "] matrix");
        }
    }

    /**
     * The F16 scales of blocks {@code [at, at + count)} (in group-block order) as floats, 16 per block, into
     * {@code out}: the kernels load them from an array, so that the conversion stays out of their (large) compiled
     * code.
     */
    float[] scalesAsFloats(int at, int count, float[] out) {
        return scalesAsFloats(at, count, out, 0);
    }

    /** As {@link #scalesAsFloats(int, int, float[])}, into {@code out} from {@code outOffset}. */
    float[] scalesAsFloats(int at, int count, float[] out, int outOffset) {
        // a plain loop: C2 vectorizes float16ToFloat into vcvtph2ps, twice as fast as the bit operations by hand
        long base = (long) at * ROWS;
        int n = count * ROWS;
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = Float.float16ToFloat(scales.getAtIndex(HALF, base + i));
        }
        return out;
    }

    /**
     * Whether {@code w} is a matrix of {@code type} with rows in sixteens, whole blocks of {@code blockSize} per row
     * and fewer than 2³¹ weights, on a machine whose float vectors have 16 lanes or 8 (every type has kernels of
     * both widths).
     */
    static boolean fits(Tensor w, DType type, int blockSize) {
        return w.type() == type && w.shape().length == 2 && w.rows() % ROWS == 0 && w.cols() % blockSize == 0
                && w.rows() * w.cols() <= Integer.MAX_VALUE - 8 && runsOnThisMachine();
    }

    /**
     * Switches this copy to the half-width (256-bit) kernels, which every machine with vectors of 8 floats or more
     * runs: for the tests of those kernels, and A/B runs, on a 512-bit machine.
     */
    InterleavedMatrix halfWidth() {
        wide = false;
        return this;
    }

    /** Throws, naming {@code w} and what a copy of {@code type} needs, unless {@code supported}. */
    static void requireSupported(Tensor w, boolean supported, DType type) {
        if (!supported) {
            throw new IllegalArgumentException("cannot interleave " + w + ": needs " + type
                    + " with rows a multiple of " + ROWS + ", whole blocks of " + type.blockSize()
                    + " per row, and float vectors of 16 or 8 lanes");
        }
    }

    /**
     * {@code y[yOffset + t·rows + r] = Σ_c x[xOffset + t·cols + c]·W[r][c]} for n tokens t, in floats: here through
     * {@link MatMul}'s packed GEMM on slivers dequantized from the copy ({@link #packSliver}), which give the values a
     * dequantization of the file gives. Y is overwritten.
     *
     * @throws IllegalArgumentException if x or y are too short for n tokens
     */
    public void multiply(WorkerPool pool, float[] x, int xOffset, int n, float[] y, int yOffset) {
        check(x, xOffset, n, y, yOffset);
        MatMul.multiplyPacked(pool, rows, cols, (r0, nr, pc, kc, panel) -> packSliver(r0, nr, pc, kc, panel.packed),
                x, xOffset, n, y, yOffset);
    }

    /**
     * Rows {@code [r0, r0 + nr)} × columns {@code [pc, pc + kc)} as floats, k-major for {@link MatMul}'s micro-kernel
     * ({@code packed[p·NR + r]}, NR = {@link GemmKernel#NR}, rows past nr zero), with the values and rounding of the
     * type's dequantization: the sliver's groups (two of 16-lane vectors, one of 8-lane ones) through
     * {@link #packGroup}.
     */
    void packSliver(int r0, int nr, int pc, int kc, float[] packed) {
        int sets = (int) ((long) kc * scaleSets / cols);
        float[] ds = SLIVER_SCALES.get();
        if (ds.length < sets * ROWS) {
            ds = new float[sets * ROWS];
            SLIVER_SCALES.set(ds);
        }
        int width = GemmKernel.NR;
        for (int lane0 = 0; lane0 < width; lane0 += ROWS) {
            if (lane0 >= nr) {
                for (int p = 0; p < kc; p++) {
                    java.util.Arrays.fill(packed, p * width + lane0, p * width + lane0 + ROWS, 0f);
                }
                continue;
            }
            int g = (r0 + lane0) / ROWS;
            packGroup(g, pc, kc, scalesAsFloats(g * scaleSets + (int) ((long) pc * scaleSets / cols), sets, ds),
                    packed, lane0);
        }
    }

    /**
     * Group g's 16 rows × columns {@code [pc, pc + kc)} as floats into lanes {@code [lane0, lane0 + 16)} of a sliver
     * ({@code packed[p·NR + lane0 + r]}, NR = {@link GemmKernel#NR}), {@code ds} holding the scales of those columns
     * as floats; in 512-bit vectors or, on a {@link #halfWidth} copy, 256-bit ones.
     */
    abstract void packGroup(int g, int pc, int kc, float[] ds, float[] packed, int lane0);

    /**
     * The scalar twin of {@link #multiplyQuantized}: the same quantized x and integer block sums, scaled and added in
     * the same order, in plain loops, row by row ({@link #referenceRow}). Bit-identical with it.
     *
     * @throws IllegalArgumentException if x or y are too short
     */
    public void referenceQuantized(float[] x, int xOffset, float[] y, int yOffset) {
        check(x, xOffset, 1, y, yOffset);
        QuantizedActivations qx = new QuantizedActivations(DType.Q8_0, cols).quantize(x, xOffset, cols);
        for (int r = 0; r < rows; r++) {
            y[yOffset + r] = referenceRow(r / ROWS, r % ROWS, qx);
        }
    }

    /** Row {@code lane} of group g against the quantized token, in plain loops, in the kernel's order. */
    abstract float referenceRow(int g, int lane, QuantizedActivations qx);

    /** The code of column c of block b, for row {@code lane} of group g, in a copy's interleaved order. */
    @FunctionalInterface
    interface CodeAt {
        int code(int g, int b, int c, int lane);
    }

    /**
     * {@link #referenceRow} of the types whose blocks hold a scale d and a minimum m (Q4_1, Q5_1; a d and an m set per
     * block): per block of 32, the integer sum of code times x's int8 codes, times d and x's scale, then m times x's
     * scale and code sum, in their kernels' order.
     */
    float referenceRowWithMins(int g, int lane, QuantizedActivations qx, CodeAt codeAt) {
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            int sum = 0;
            int xsum = 0;
            for (int c = 0; c < BLOCK; c++) {
                sum += codeAt.code(g, b, c, lane) * qx.qs[b * BLOCK + c];
                xsum += qx.qs[b * BLOCK + c];
            }
            float d = Float.float16ToFloat(scales.getAtIndex(HALF, ((long) g * scaleSets + 2L * b) * ROWS + lane));
            float m = Float.float16ToFloat(scales.getAtIndex(HALF, ((long) g * scaleSets + 2L * b + 1) * ROWS + lane));
            total = Math.fma((float) sum, d * qx.scales[b], total);
            total = Math.fma(m, qx.scales[b] * xsum, total);
        }
        return total;
    }

    /**
     * Groups g, g + s, g + 2s, … (count of them, 1 to {@link #RUN_GROUPS}; s = {@link #runStep}) against the quantized
     * token into {@code y[yOffset ..]}, {@code ds} holding their scales as floats, group k's {@code scaleSets·16} at
     * {@code k·scaleSets·16}: the type's integer kernel.
     */
    abstract void groups(int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset);

    /**
     * Row groups one call of {@link #groups} takes at most. Each group is a stream of codes, and the hardware
     * prefetchers keep a few lines in flight per stream: four streams read memory faster than two.
     */
    static final int RUN_GROUPS = 4;

    /**
     * One token through int8 activations, as llama.cpp's dot of this type with Q8 activations: x quantized as GGML's
     * Q8_0 quantizer does, integer sums per 32 columns, scaled as floats. Y is overwritten.
     *
     * @throws IllegalArgumentException if x or y are too short
     */
    public void multiplyQuantized(WorkerPool pool, float[] x, int xOffset, float[] y, int yOffset) {
        multiplyQuantized(pool, new InterleavedMatrix[] {this}, x, xOffset, new float[][] {y}, new int[] {yOffset});
    }

    /**
     * Several single-token products sharing one x (Q, K and V; gate and up), of any interleaved types, as
     * {@link #multiplyQuantized(WorkerPool, float[], int, float[], int)}: x is quantized once and the runs of row
     * groups of all matrices are split across the workers together.
     *
     * @throws IllegalArgumentException if the column counts differ, the counts of matrices, outputs and offsets
     *     differ, or an array is too short
     */
    public static void multiplyQuantized(WorkerPool pool, InterleavedMatrix[] ms, float[] x, int xOffset,
                                         float[][] ys, int[] yOffsets) {
        if (ms.length != ys.length || ms.length != yOffsets.length) {
            throw new IllegalArgumentException(ms.length + " matrices, " + ys.length + " outputs and "
                    + yOffsets.length + " output offsets");
        }
        if (ms.length == 0) {
            return;
        }
        int cols = ms[0].cols;
        int[] firstRun = new int[ms.length + 1];
        int maxSets = 0;
        for (int i = 0; i < ms.length; i++) {
            maxSets = Math.max(maxSets, ms[i].scaleSets);
            if (ms[i].cols != cols) {
                throw new IllegalArgumentException("matrix " + i + " has " + ms[i].cols + " columns, matrix 0 has "
                        + cols);
            }
            ms[i].check(x, xOffset, 1, ys[i], yOffsets[i]);
            firstRun[i + 1] = firstRun[i] + ms[i].runStep;
        }
        SpreadToken qx = SPREAD.get().quantize(x, xOffset, cols);
        int runs = firstRun[ms.length];
        int scaleFloats = RUN_GROUPS * maxSets * ROWS;
        pool.parallelForDynamic(runs, grain(runs, ms[0], pool.threads()), (from, to) -> {
            float[] ds = RUN_SCALES.get();
            if (ds.length < scaleFloats) {
                ds = new float[scaleFloats];
                RUN_SCALES.set(ds);
            }
            for (int i = 0; i < ms.length && from < to; i++) {
                int lo = Math.max(from, firstRun[i]);
                int hi = Math.min(to, firstRun[i + 1]);
                InterleavedMatrix m = ms[i];
                int groups = m.rows / ROWS;
                int step = m.runStep;
                int sets = m.scaleSets;
                for (int g = lo - firstRun[i]; g < hi - firstRun[i]; g++) {
                    // run g: groups g, g + step, g + 2·step, g + 3·step, those that exist
                    int count = Math.min(RUN_GROUPS, (groups - g + step - 1) / step);
                    for (int k = 0; k < count; k++) {
                        m.scalesAsFloats((g + k * step) * sets, sets, ds, k * sets * ROWS);
                    }
                    m.groups(g, count, qx, ds, ys[i], yOffsets[i]);
                }
            }
        });
    }

    /** Bytes of codes a claimed chunk of runs should hold at least. */
    private static final long CHUNK_BYTES = 64 << 10;

    /**
     * Runs of groups ({@link #RUN_GROUPS} each) per claimed chunk of a single-token product: 16 chunks per worker,
     * but none smaller than {@link #CHUNK_BYTES} of m's codes, and at least two per worker. Claiming a chunk costs
     * about what a pair of 896-column groups takes to multiply, so chunks of one pair cost Qwen2.5-0.5B's products 5–10%
     * (tools/kernel-ab, 896×896 Q4_0); on wide matrices smaller chunks balance the two workers better.
     */
    static int grain(int runs, InterleavedMatrix m, int threads) {
        long runBytes = Math.max(1, RUN_GROUPS * m.codes.byteSize() / Math.max(1, m.rows / ROWS));
        int byWork = (int) Math.min(runs, (CHUNK_BYTES + runBytes - 1) / runBytes);
        int most = Math.max(1, runs / (2 * threads));
        return Math.max(1, Math.min(most, Math.max(runs / (16 * threads), byWork)));
    }

    /**
     * Compiles the single-token kernels of {@code types} (those with a copy; others are skipped) on their own, in
     * that order, each once per JVM: call it before a model's first copy with its types, the one holding most of the
     * weights first. The Vector API's generic code records one type profile for all its callers, so a kernel
     * compiled after other vector code has run (another type's kernel among it) may reach C2's inlining budget and
     * keep some vector operations boxed: Q6_K's, compiled after the other three, ran at a seventh of its speed in
     * {@code bench-kernels}, and Llama-3.2-1B Q4_K_M decoded 20–30% slower with Q6_K's kernel compiled before
     * Q4_K's than after. A kernel first needed later (a second model of other types) meets that risk.
     */
    public static void warmUp(List<DType> types) {
        for (DType type : types) {
            switch (type) {
                case Q8_0 -> InterleavedQ8_0.warmUpKernel();
                case Q4_0, Q4_1 -> InterleavedQ4_0.warmUpKernel();
                case Q5_0, Q5_1 -> InterleavedQ5_0.warmUpKernel();
                case Q2_K -> InterleavedQ2_K.warmUpKernel();
                case Q3_K -> InterleavedQ3_K.warmUpKernel();
                case Q4_K -> InterleavedQ4_K.warmUpKernel();
                case Q5_K -> InterleavedQ5_K.warmUpKernel();
                case Q6_K -> InterleavedQ6_K.warmUpKernel();
                default -> {
                    // no copy, no kernel
                }
            }
        }
    }

    /** Calls per timed batch of a warm-up. */
    private static final int WARM_UP_BATCH = 64;
    /**
     * Bytes per nanosecond (GB/s) above which a warm-up call runs C2's code: interpreted and C1 code run the Vector
     * API at well under one, C2's at 5–30 on the warm-up's copy, which stays in the L1 cache.
     */
    private static final double COMPILED_BYTES_PER_NANO = 3.0;
    /**
     * The longest a warm-up waits for C2, should its code stay slow (a kernel left boxed). Two seconds were too few on
     * a loaded 2-core AVX2 machine, where C2 took longer over the 256-bit kernels and the first products ran C1's code.
     */
    private static final long WARM_UP_LIMIT_NANOS = 8_000_000_000L;

    /**
     * Runs a kernel's warm-up {@code call} (given the call's index) at least {@code minCalls} times, then on until
     * C2's code for it is in: until three batches in a row read {@code bytesPerCall} per call at more than
     * {@link #COMPILED_BYTES_PER_NANO}, or eight seconds passed. A fixed count of calls left the compile unfinished
     * when the compiler's queue was long, and the first products then ran C1's code at a tenth of a GB/s. Each call
     * also converts the copy's scales ({@link #scalesAsFloats}), which every product runs per run of groups.
     */
    static void warmUntilCompiled(IntConsumer call, long bytesPerCall, int minCalls) {
        long start = System.nanoTime();
        int calls = 0;
        int fastBatches = 0;
        while (calls < minCalls || fastBatches < 3) {
            long t0 = System.nanoTime();
            for (int i = 0; i < WARM_UP_BATCH; i++) {
                call.accept(calls++);
            }
            long t1 = System.nanoTime();
            boolean fast = (double) bytesPerCall * WARM_UP_BATCH > COMPILED_BYTES_PER_NANO * (t1 - t0);
            fastBatches = fast ? fastBatches + 1 : 0;
            if (t1 - start > WARM_UP_LIMIT_NANOS) {
                return;
            }
        }
    }

    /**
     * A patterned copy for a kernel's warm-up: {@code codeBytes} of codes (each byte {@code (i·37) & codeMask}) and
     * {@code halves} F16 scales. Returns {codes, scales}.
     */
    static MemorySegment[] warmUpData(long codeBytes, int halves, int codeMask) {
        Arena arena = Arena.ofAuto();
        MemorySegment codes = arena.allocate(codeBytes, 64);
        MemorySegment scales = arena.allocate((long) halves * Short.BYTES, 64);
        for (long i = 0; i < codeBytes; i++) {
            codes.set(ValueLayout.JAVA_BYTE, i, (byte) ((i * 37) & codeMask));
        }
        for (long i = 0; i < halves; i++) {
            scales.setAtIndex(HALF, i, Float.floatToFloat16(1f / (1 + i)));
        }
        return new MemorySegment[] {codes, scales};
    }

    /** A token of {@code cols} smooth activations, quantized, for a kernel's warm-up. */
    static SpreadToken warmUpToken(int cols) {
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) Math.sin(i);
        }
        return new SpreadToken().quantize(x, 0, cols);
    }
}
