package dev.jllm.train.optim;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise AdamW update over a range of one tensor, with a scalar twin that gives the
 * same bits (both use the same F32 operations in the same order, and no fused multiply-add).
 *
 * <p>Per element, with the F32 coefficients of {@link Coefficients}:
 * <pre>
 * p = p · decayFactor                      decoupled weight decay, decayFactor = 1 − lr·wd
 * m = β1·m + (1 − β1)·g
 * v = β2·v + (1 − β2)·g²
 * p = p − stepSize · m / (√v / √(1 − β2ᵗ) + ε)    stepSize = lr / (1 − β1ᵗ)
 * </pre>
 * which is PyTorch's {@code torch.optim.AdamW} (single-tensor path, no amsgrad).
 */
public final class AdamWUpdate {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private AdamWUpdate() {
    }

    /**
     * The scalars of one step for one tensor, each rounded once to F32 from a double.
     *
     * @param beta1            β1
     * @param oneMinusBeta1    1 − β1
     * @param beta2            β2
     * @param oneMinusBeta2    1 − β2
     * @param stepSize         lr / (1 − β1ᵗ)
     * @param biasCorrection2Sqrt √(1 − β2ᵗ)
     * @param eps              ε, added after the square root
     * @param decayFactor      1 − lr·wd, or exactly 1 for a tensor without decay
     */
    public record Coefficients(float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float stepSize,
            float biasCorrection2Sqrt, float eps, float decayFactor) {

        /**
         * The coefficients of step number {@code step} (1 for the first step).
         *
         * @throws IllegalArgumentException if {@code step < 1}
         */
        public static Coefficients of(AdamW.Settings s, double lr, long step, boolean decay) {
            if (step < 1) {
                throw new IllegalArgumentException("AdamW step number starts at 1, got " + step);
            }
            double bc1 = 1.0 - Math.pow(s.beta1(), step);
            double bc2 = 1.0 - Math.pow(s.beta2(), step);
            float decayFactor = decay ? (float) (1.0 - lr * s.weightDecay()) : 1f;
            return new Coefficients((float) s.beta1(), (float) (1.0 - s.beta1()), (float) s.beta2(),
                    (float) (1.0 - s.beta2()), (float) (lr / bc1), (float) Math.sqrt(bc2), (float) s.eps(),
                    decayFactor);
        }
    }

    /**
     * Updates {@code p}, {@code m} and {@code v} over {@code [from, to)} with the Vector API.
     *
     * @throws IndexOutOfBoundsException if the range does not fit one of the arrays
     */
    public static void apply(float[] p, float[] g, float[] m, float[] v, int from, int to, Coefficients c) {
        check(p, g, m, v, from, to);
        float b1 = c.beta1(), c1 = c.oneMinusBeta1(), b2 = c.beta2(), c2 = c.oneMinusBeta2();
        float stepSize = c.stepSize(), bc2 = c.biasCorrection2Sqrt(), eps = c.eps(), decay = c.decayFactor();
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += F.length()) {
            FloatVector gv = FloatVector.fromArray(F, g, i);
            FloatVector mv = FloatVector.fromArray(F, m, i).mul(b1).add(gv.mul(c1));
            FloatVector vv = FloatVector.fromArray(F, v, i).mul(b2).add(gv.mul(gv).mul(c2));
            FloatVector denom = vv.sqrt().div(bc2).add(eps);
            FloatVector pv = FloatVector.fromArray(F, p, i).mul(decay);
            pv.sub(mv.div(denom).mul(stepSize)).intoArray(p, i);
            mv.intoArray(m, i);
            vv.intoArray(v, i);
        }
        scalar(p, g, m, v, i, to, c);
    }

    /** Scalar twin of {@link #apply}: the same bits. */
    public static void applyReference(float[] p, float[] g, float[] m, float[] v, int from, int to,
            Coefficients c) {
        check(p, g, m, v, from, to);
        scalar(p, g, m, v, from, to, c);
    }

    private static void scalar(float[] p, float[] g, float[] m, float[] v, int from, int to, Coefficients c) {
        float b1 = c.beta1(), c1 = c.oneMinusBeta1(), b2 = c.beta2(), c2 = c.oneMinusBeta2();
        float stepSize = c.stepSize(), bc2 = c.biasCorrection2Sqrt(), eps = c.eps(), decay = c.decayFactor();
        for (int i = from; i < to; i++) {
            float gi = g[i];
            float mi = m[i] * b1 + gi * c1;
            float vi = v[i] * b2 + (gi * gi) * c2;
            // sqrt in double then rounded to F32 equals the correctly rounded F32 sqrt
            float denom = (float) Math.sqrt(vi) / bc2 + eps;
            p[i] = p[i] * decay - (mi / denom) * stepSize;
            m[i] = mi;
            v[i] = vi;
        }
    }

    private static void check(float[] p, float[] g, float[] m, float[] v, int from, int to) {
        // one check per array keeps the loop free of bounds checks
        Objects.checkFromToIndex(from, to, p.length);
        Objects.checkFromToIndex(from, to, g.length);
        Objects.checkFromToIndex(from, to, m.length);
        Objects.checkFromToIndex(from, to, v.length);
    }
}
