package dev.jllm.train.optim;

import dev.jllm.core.parallel.WorkerPool;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gradient clipping by the global L2 norm over all parameters, as PyTorch's
 * {@code clip_grad_norm_}: when the norm exceeds {@code maxNorm}, every gradient is multiplied by
 * {@code maxNorm / (norm + 1e-6)}.
 *
 * <p>Squares are summed in F32 vector lanes over blocks of 256 elements and the block sums in
 * double (relative error about 1e-7); a block whose F32 sum overflows, underflows or is not
 * finite is summed again in double, so no finite gradient gives an infinite norm. Chunks are
 * added in chunk order, so the norm does not depend on the thread count.
 */
public final class GradientClipping {
    /** PyTorch's guard against division by a zero norm. */
    public static final double EPSILON = 1e-6;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Elements per F32 partial sum: a multiple of four vectors of up to 64 lanes. */
    private static final int BLOCK = 256;

    private GradientClipping() {
    }

    /**
     * The global L2 norm of all gradients: NaN if any element is NaN, else infinite if any is
     * infinite.
     */
    public static double globalNorm(List<Parameter> params, WorkerPool pool) {
        double sum = 0;
        for (Parameter p : params) {
            sum += sumOfSquares(p.grad(), pool);
        }
        return Math.sqrt(sum);
    }

    /**
     * Clips in place when the global norm exceeds {@code maxNorm} and returns the norm before
     * clipping. A NaN or infinite norm is returned with the gradients untouched, so the trainer
     * can skip the step.
     *
     * @throws IllegalArgumentException if {@code maxNorm} is not positive and finite
     */
    public static double clipByGlobalNorm(List<Parameter> params, double maxNorm, WorkerPool pool) {
        if (!(maxNorm > 0 && Double.isFinite(maxNorm))) {
            throw new IllegalArgumentException("maximum gradient norm must be positive and finite, got " + maxNorm);
        }
        double norm = globalNorm(params, pool);
        if (Double.isFinite(norm) && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + EPSILON));
            for (Parameter p : params) {
                scale(p.grad(), scale, pool);
            }
        }
        return norm;
    }

    /** Multiplies every element of {@code a} by {@code s}, in parallel for large arrays. */
    static void scale(float[] a, float s, WorkerPool pool) {
        ChunkedLoop.run(pool, a.length, (from, to) -> {
            int i = from;
            for (int bound = from + F.loopBound(to - from); i < bound; i += F.length()) {
                FloatVector.fromArray(F, a, i).mul(s).intoArray(a, i);
            }
            for (; i < to; i++) {
                a[i] *= s;
            }
        });
    }

    /** Σ a[i]²: per chunk, chunks added in order. */
    static double sumOfSquares(float[] a, WorkerPool pool) {
        int n = a.length;
        double[] partial = new double[ChunkedLoop.chunks(n)];
        ChunkedLoop.runChunks(pool, n, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int from = c * ChunkedLoop.CHUNK;
                partial[c] = sumOfSquares(a, from, (int) Math.min(n, (long) from + ChunkedLoop.CHUNK));
            }
        });
        double sum = 0;
        for (double s : partial) {
            sum += s;
        }
        return sum;
    }

    private static double sumOfSquares(float[] a, int from, int to) {
        double sum = 0;
        int i = from;
        for (; i + BLOCK <= to; i += BLOCK) {
            float s = blockSumOfSquares(a, i);
            // outside F32's comfortable range (overflow, underflow, NaN, ∞): redo the block in double
            sum += s >= 1e-30f && s <= 1e30f ? s : sumOfSquaresInDouble(a, i, i + BLOCK);
        }
        return sum + sumOfSquaresInDouble(a, i, to);
    }

    /** Σ a[i]² over one block in F32 lanes: few terms per lane keep the F32 error near 1e-7. */
    private static float blockSumOfSquares(float[] a, int from) {
        int step = F.length();
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        for (int j = from; j < from + BLOCK; j += 4 * step) {
            FloatVector x0 = FloatVector.fromArray(F, a, j);
            FloatVector x1 = FloatVector.fromArray(F, a, j + step);
            FloatVector x2 = FloatVector.fromArray(F, a, j + 2 * step);
            FloatVector x3 = FloatVector.fromArray(F, a, j + 3 * step);
            s0 = x0.fma(x0, s0);
            s1 = x1.fma(x1, s1);
            s2 = x2.fma(x2, s2);
            s3 = x3.fma(x3, s3);
        }
        return dev.jllm.core.ops.LaneSum.of(s0.add(s1).add(s2.add(s3)));
    }

    private static double sumOfSquaresInDouble(float[] a, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            double x = a[i];
            sum += x * x;
        }
        return sum;
    }
}
