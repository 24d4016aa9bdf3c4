package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the interleaved copies of a quantized matrix share ({@link InterleavedQ8_0}, {@link InterleavedQ4_0}): groups of
 * 16 rows whose 32-column blocks keep their codes in a type's own interleaved order and, apart from them, the 16
 * rows' F16 scales as in the file; the copy from a (possibly mapped) tensor; the shape checks; the single-token
 * driver that quantizes x once and splits pairs of groups across the workers.
 */
abstract sealed class InterleavedMatrix permits InterleavedQ8_0, InterleavedQ4_0 {
    /** Rows per interleaved group. */
    static final int ROWS = 16;
    /** Columns per block (and per F16 scale) in both types. */
    static final int BLOCK = 32;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final VectorSpecies<Short> HALVES = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ThreadLocal<SpreadToken> SPREAD = ThreadLocal.withInitial(SpreadToken::new);
    private static final ThreadLocal<float[]> PAIR_SCALES = ThreadLocal.withInitial(() -> new float[0]);

    final int rows;
    final int cols;
    final int blocks;
    final MemorySegment codes;
    final MemorySegment scales;

    InterleavedMatrix(int rows, int cols, MemorySegment codes, MemorySegment scales) {
        this.rows = rows;
        this.cols = cols;
        this.blocks = cols / BLOCK;
        this.codes = codes;
        this.scales = scales;
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
     * group, and its blocks' F16 scales (the first two bytes of each block of {@code blockBytes}) into another, by the
     * pool's threads (the caller's if null). With {@code releaseMapped}, the pages of a mapped w are released from this
     * process as soon as they are copied (reading w later maps them again), so that copying a mapped model does not
     * hold both at once. Returns {codes, scales}.
     */
    static MemorySegment[] copy(Tensor w, WorkerPool pool, boolean releaseMapped, int blockBytes,
                                int codeBytesPerGroup, GroupLayout layout) {
        int rows = Math.toIntExact(w.rows());
        int blocks = Math.toIntExact(w.cols()) / BLOCK;
        int rowBytes = Math.toIntExact(w.rowBytes());
        Arena arena = Arena.ofAuto();
        MemorySegment codes = arena.allocate((long) rows / ROWS * codeBytesPerGroup, 64);
        MemorySegment scales = arena.allocate((long) rows * blocks * Short.BYTES, 64);
        int groups = rows / ROWS;
        WorkerPool.RangeTask copy = (from, to) -> {
            byte[] in = new byte[ROWS * rowBytes];
            byte[] out = new byte[codeBytesPerGroup];
            short[] d = new short[ROWS * blocks];
            for (int g = from; g < to; g++) {
                MemorySegment.copy(w.data(), ValueLayout.JAVA_BYTE, (long) g * ROWS * rowBytes, in, 0, in.length);
                for (int lane = 0; lane < ROWS; lane++) {
                    for (int b = 0; b < blocks; b++) {
                        int o = lane * rowBytes + b * blockBytes;
                        d[b * ROWS + lane] = (short) ((in[o] & 0xFF) | (in[o + 1] << 8));
                    }
                }
                layout.interleave(in, rowBytes, out);
                MemorySegment.copy(out, 0, codes, ValueLayout.JAVA_BYTE, (long) g * out.length, out.length);
                MemorySegment.copy(d, 0, scales, HALF, (long) g * ROWS * blocks * Short.BYTES, d.length);
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
        for (int k = 0; k < count; k++) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(HALVES, scales, (long) (at + k) * ROWS * 2,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
            // the magnitude bits shifted into a float's place read 2¹¹² too small, subnormal halves included
            h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000)).reinterpretAsFloats()
                    .intoArray(out, k * ROWS);
        }
        return out;
    }

    /** One or two groups of one matrix against the quantized token: a type's integer kernel. */
    interface GroupKernel<M extends InterleavedMatrix> {
        /**
         * Groups {@code [g, g + count)} (count 1 or 2) of m into {@code y[yOffset ..]}, {@code ds} holding their
         * scales as floats.
         */
        void run(M m, int g, int count, SpreadToken qx, float[] ds, float[] y, int yOffset);
    }

    /**
     * Single-token products sharing one x: checks the shapes, quantizes x once (as GGML's Q8_0 quantizer does), and
     * splits the pairs of row groups of all matrices across the workers, each pair through {@code kernel}.
     *
     * @throws IllegalArgumentException if the column counts differ, the counts of matrices, outputs and offsets
     *     differ, or an array is too short
     */
    static <M extends InterleavedMatrix> void multiplyQuantized(WorkerPool pool, M[] ms, float[] x, int xOffset,
                                                                float[][] ys, int[] yOffsets, GroupKernel<M> kernel) {
        if (ms.length != ys.length || ms.length != yOffsets.length) {
            throw new IllegalArgumentException(ms.length + " matrices, " + ys.length + " outputs and "
                    + yOffsets.length + " output offsets");
        }
        if (ms.length == 0) {
            return;
        }
        int cols = ms[0].cols;
        int[] firstPair = new int[ms.length + 1];
        for (int i = 0; i < ms.length; i++) {
            if (ms[i].cols != cols) {
                throw new IllegalArgumentException("matrix " + i + " has " + ms[i].cols + " columns, matrix 0 has "
                        + cols);
            }
            ms[i].check(x, xOffset, 1, ys[i], yOffsets[i]);
            firstPair[i + 1] = firstPair[i] + (ms[i].rows / ROWS + 1) / 2;
        }
        SpreadToken qx = SPREAD.get().quantize(x, xOffset, cols);
        int pairs = firstPair[ms.length];
        int scaleFloats = 2 * (cols / BLOCK) * ROWS;
        pool.parallelForDynamic(pairs, Math.max(1, pairs / (pool.threads() * 16)), (from, to) -> {
            float[] ds = PAIR_SCALES.get();
            if (ds.length < scaleFloats) {
                ds = new float[scaleFloats];
                PAIR_SCALES.set(ds);
            }
            for (int i = 0; i < ms.length && from < to; i++) {
                int lo = Math.max(from, firstPair[i]);
                int hi = Math.min(to, firstPair[i + 1]);
                M m = ms[i];
                int groups = m.rows / ROWS;
                for (int p = lo; p < hi; p++) {
                    int g = 2 * (p - firstPair[i]);
                    int count = g + 1 < groups ? 2 : 1;
                    kernel.run(m, g, count, qx, m.scalesAsFloats(g * m.blocks, count * m.blocks, ds), ys[i],
                            yOffsets[i]);
                }
            }
        });
    }
}
