package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix decoded once into floats laid out for the matrix product {@code Y = X·Wᵀ + bias}: W's
 * rows cut into slivers of {@link #NR} (two vectors), each sliver stored column after column
 * ({@code NR} floats per column, zero rows padding the last sliver): {@link GemmKernel}'s B operand, ready
 * made. A product packs X once into {@link #MR}-token slivers and streams each weight sliver once per block
 * of tokens through that kernel; nothing is transposed, decoded or reduced across lanes per call, which is
 * what a few tokens against row-major weights pay for. Each sliver is first read in a plain
 * loop of loads (see {@link #touch}), so that the kernel finds it in cache.
 *
 * <p>Several matrices of equal width can be stacked into one (their rows one after another), so that,
 * say, the query, key and value projections run as one product with one dispatch.
 *
 * <p>The floats live on the heap: packing costs a copy of the weights (worth it for F32 weights read
 * thousands of times, not for quantized ones, which would grow several-fold).
 */
public final class PackedMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Output columns (weight rows) per sliver: {@link GemmKernel}'s B sliver, two vectors. */
    static final int NR = GemmKernel.NR;
    /** Tokens per kernel call: {@link GemmKernel}'s A sliver. */
    static final int MR = GemmKernel.MR;
    /** Tokens per sliver of packed activations: {@link #packActivations} hands out whole slivers. */
    public static final int ACTIVATION_SLIVER = MR;
    private static final ThreadLocal<float[]> PACKED_X = ThreadLocal.withInitial(() -> new float[0]);
    /** Activations per token block (≈ 512 KiB): a block of X stays in L2 while the slivers stream past. */
    static final int BLOCK_FLOATS = 1 << 17;

    /** Applied to each stored piece of an output row after the bias, e.g. an activation function. */
    @FunctionalInterface
    public interface Epilogue {
        /** Transforms {@code y[from .. from + length)} in place. */
        void apply(float[] y, int from, int length);
    }

    /**
     * Floats left unused before the first sliver. HotSpot places a large array (a G1 humongous object) at
     * a region boundary and its floats 16 bytes further on; skipping 12 more floats puts every vector load
     * of the kernel on one 64-byte cache line instead of across two (10% more throughput measured). Where
     * the guess is wrong, loads are as misaligned as without it.
     */
    static final int PAD = 12;
    private static final ThreadLocal<float[]> EDGE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    private final int rows;
    private final int cols;
    private final float[] packed;

    private PackedMatrix(int rows, int cols, float[] packed) {
        this.rows = rows;
        this.cols = cols;
        this.packed = packed;
    }

    /**
     * Decodes and packs {@code parts}, stacked row after row (all of one width), with the SIMD kernels of
     * their types.
     *
     * @throws IllegalArgumentException if no part is given, widths differ, or the stack has more rows or
     *     floats than an array holds
     */
    public static PackedMatrix pack(Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("no matrix to pack");
        }
        long cols = parts[0].cols();
        long total = 0;
        for (Tensor p : parts) {
            if (p.cols() != cols) {
                throw new IllegalArgumentException("cannot stack " + p + " under a matrix of " + cols + " columns");
            }
            total += p.rows();
        }
        long slivers = (total + NR - 1) / NR;
        if (cols > Integer.MAX_VALUE || slivers * NR * cols > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("matrices " + Arrays.toString(parts) + " are too large to pack");
        }
        int k = (int) cols;
        float[] packed = new float[(int) (PAD + slivers * NR * k)];
        float[] row = new float[k];
        int r = 0;
        for (Tensor p : parts) {
            WeightKernel kernel = WeightKernels.simd(p.type());
            for (long i = 0; i < p.rows(); i++, r++) {
                kernel.dequantize(p.data(), i * p.rowBytes(), row, 0, k);
                int base = PAD + (r / NR) * NR * k + r % NR;
                for (int c = 0; c < k; c++) {
                    packed[base + c * NR] = row[c];
                }
            }
        }
        return new PackedMatrix((int) total, k, packed);
    }

    /** Output width: the stacked rows of W. */
    public int rows() {
        return rows;
    }

    /** Input width: W's columns. */
    public int cols() {
        return cols;
    }

    /**
     * {@code y[yOffset + t·rows + r] = Σ_c x[xOffset + t·cols + c]·W[r][c] + bias[r]}, then {@code epilogue}
     * over the new values, for n tokens t; the workers of {@code pool} split W's slivers.
     *
     * @param bias rows floats, or null for none
     * @param epilogue applied after the bias, or null for none
     * @throws IllegalArgumentException if n is negative or an array is too short for it
     */
    public void multiply(WorkerPool pool, float[] x, int xOffset, int n, float[] y, int yOffset, float[] bias,
            Epilogue epilogue) {
        multiply(pool, x, xOffset, n, y, yOffset, bias, epilogue, tokensPerBlock(cols));
    }

    /** As the public product, with the token block given (tests pass small ones to cross block edges). */
    void multiply(WorkerPool pool, float[] x, int xOffset, int n, float[] y, int yOffset, float[] bias,
            Epilogue epilogue, int blockTokens) {
        checkShapes(x, xOffset, n, y, yOffset, bias);
        if (n == 0 || rows == 0) {
            return;
        }
        float[] a = packedX(activationFloats(n));
        packActivations(x, xOffset, n, a, 0, 1);
        AtomicInteger claimed = new AtomicInteger();
        pool.run((w, workers) -> multiplyShare(a, n, y, yOffset, bias, epilogue, claimed, blockTokens));
    }

    /** Floats that {@link #packActivations} fills for n tokens: whole slivers of {@link #MR} tokens. */
    public int activationFloats(int n) {
        return (n + MR - 1) / MR * MR * cols;
    }

    /**
     * One worker's share of packing n tokens of X (rows of {@link #cols} floats from {@code xOffset}) for
     * {@link #multiplyShare}: slivers {@code worker}, {@code worker + workers}, … of {@link #MR} tokens,
     * zero-padded, into {@code a}.
     */
    public void packActivations(float[] x, int xOffset, int n, float[] a, int worker, int workers) {
        for (int ts = worker; ts * MR < n; ts += workers) {
            MatMul.packTokens(x, xOffset, cols, ts * MR, Math.min(MR, n - ts * MR), 0, cols, a, ts * MR * cols);
        }
    }

    /**
     * One thread's part of the product of n tokens, packed into {@code a} by {@link #packActivations}, as
     * {@link #multiply} defines it: the threads that call this with the same {@code claimed} counter (from
     * zero) share the work and together write all of y. It lets a caller that keeps its threads in one
     * parallel region run several products without a dispatch each.
     *
     * @throws IllegalArgumentException if n is negative or y or bias is too short for it
     */
    public void multiplyShare(float[] a, int n, float[] y, int yOffset, float[] bias, Epilogue epilogue,
            AtomicInteger claimed) {
        if (a.length < activationFloats(n)) {
            throw new IllegalArgumentException("packed activations of " + n + " tokens need " + activationFloats(n)
                    + " floats, got " + a.length);
        }
        checkShapes(a, 0, n, y, yOffset, bias);
        multiplyShare(a, n, y, yOffset, bias, epilogue, claimed, tokensPerBlock(cols));
    }

    /**
     * One task per (token block, sliver), claimed in that order: a worker held up (a shared machine) leaves
     * the rest to the others, and the workers stay on one block of X at a time.
     */
    private void multiplyShare(float[] a, int n, float[] y, int yOffset, float[] bias, Epilogue epilogue,
            AtomicInteger claimed, int blockTokens) {
        int slivers = (rows + NR - 1) / NR;
        int tasks = (n + blockTokens - 1) / blockTokens * slivers;
        float[] edge = EDGE.get();
        for (int task; (task = claimed.getAndIncrement()) < tasks; ) {
            int t0 = task / slivers * blockTokens;
            int t1 = Math.min(n, t0 + blockTokens);
            int s = task % slivers;
            touch(s, edge);
            for (int t = t0; t < t1; t += MR) {
                tile(s, a, t, Math.min(MR, t1 - t), y, yOffset, bias, epilogue, edge);
            }
        }
    }

    /**
     * Tokens [t, t + count) (count ≤ MR, t a multiple of MR) against sliver s: the output rows start as the
     * bias (or zero), {@link GemmKernel} adds the product over all columns, then the epilogue runs.
     */
    private void tile(int s, float[] a, int t, int count, float[] y, int yOffset, float[] bias, Epilogue epilogue,
            float[] edge) {
        int r0 = s * NR;
        int width = Math.min(NR, rows - r0);
        int y0 = yOffset + t * rows + r0;
        for (int i = 0; i < count; i++) {
            if (bias != null) {
                System.arraycopy(bias, r0, y, y0 + i * rows, width);
            } else {
                Arrays.fill(y, y0 + i * rows, y0 + i * rows + width, 0f);
            }
        }
        GemmKernel.multiplyAdd(cols, a, t * cols, packed, PAD + s * NR * cols, y, y0, rows, count, width, edge);
        if (epilogue != null) {
            for (int i = 0; i < count; i++) {
                epilogue.apply(y, y0 + i * rows, width);
            }
        }
    }

    private static float[] packedX(int size) {
        float[] px = PACKED_X.get();
        if (px.length < size) {
            px = new float[size];
            PACKED_X.set(px);
        }
        return px;
    }

    /**
     * Reads sliver s in a loop of independent loads before the kernel reads it again from cache: the
     * kernel's own loads, each queued behind FMAs, keep few cache misses in flight, and a sliver read that
     * way from memory took longer than its arithmetic (1.3× the sentences per second of MiniLM at batch 1
     * with this pass, on one thread). Java has no prefetch instruction; this is one.
     */
    private void touch(int s, float[] sink) {
        int from = PAD + s * NR * cols;
        int to = from + NR * cols;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = from;
        for (; i + 4 * L <= to; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(F, packed, i));
            a1 = a1.add(FloatVector.fromArray(F, packed, i + L));
            a2 = a2.add(FloatVector.fromArray(F, packed, i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(F, packed, i + 3 * L));
        }
        // stored so that the loads are kept
        a0.add(a1).add(a2).add(a3).intoArray(sink, 0);
    }

    /** Tokens whose activations fill about {@link #BLOCK_FLOATS}, a whole number of kernel calls. */
    static int tokensPerBlock(int cols) {
        return Math.max(MR, BLOCK_FLOATS / Math.max(1, cols) / MR * MR);
    }

    private void checkShapes(float[] x, int xOffset, int n, float[] y, int yOffset, float[] bias) {
        if (n < 0) {
            throw new IllegalArgumentException("negative token count " + n);
        }
        long xNeed = (long) n * cols;
        long yNeed = (long) n * rows;
        if (xOffset < 0 || x.length - (long) xOffset < xNeed) {
            throw new IllegalArgumentException("a packed " + rows + "×" + cols + " matrix needs x of [" + n + ", "
                    + cols + "] (" + xNeed + " floats) but the array holds " + (x.length - xOffset) + " after offset "
                    + xOffset);
        }
        if (yOffset < 0 || y.length - (long) yOffset < yNeed) {
            throw new IllegalArgumentException("a packed " + rows + "×" + cols + " matrix needs y of [" + n + ", "
                    + rows + "] (" + yNeed + " floats) but the array holds " + (y.length - yOffset) + " after offset "
                    + yOffset);
        }
        if (bias != null && bias.length < rows) {
            throw new IllegalArgumentException("a packed matrix of " + rows + " rows needs as many biases, got "
                    + bias.length);
        }
    }
}
