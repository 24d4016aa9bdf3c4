package dev.jllm.train.optim;

import dev.jllm.core.parallel.WorkerPool;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gradient clipping by the global L2 norm over all parameters, as PyTorch's
 * {@code clip_grad_norm_}: when the norm exceeds {@code maxNorm}, every gradient is multiplied by
 * {@code maxNorm / (norm + 1e-6)}.
 *
 * <p>Squares are summed in double (no overflow or loss for any F32 gradient), per fixed chunk and
 * then in chunk order, so the norm does not depend on the thread count.
 */
public final class GradientClipping {
    /** PyTorch's guard against division by a zero norm. */
    public static final double EPSILON = 1e-6;

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats with as many lanes as {@link #D}, so one load widens to one double vector. */
    private static final VectorSpecies<Float> FH =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

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

    /** Σ a[i]² in double: per chunk in vector lanes, chunks added in order. */
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
        DoubleVector acc = DoubleVector.zero(D);
        int i = from;
        for (int bound = from + FH.loopBound(to - from); i < bound; i += FH.length()) {
            DoubleVector x = (DoubleVector) FloatVector.fromArray(FH, a, i).convertShape(VectorOperators.F2D, D, 0);
            acc = x.fma(x, acc);
        }
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) {
            double x = a[i];
            sum += x * x;
        }
        return sum;
    }
}
