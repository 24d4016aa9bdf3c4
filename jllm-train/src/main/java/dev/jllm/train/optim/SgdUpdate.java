package dev.jllm.train.optim;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise SGD update over a range of one tensor, with a scalar twin that gives the same
 * bits. Per element, as PyTorch's {@code torch.optim.SGD}:
 * <pre>
 * d = g + wd·p                       only with weight decay (coupled, L2)
 * b = d                              first step: the buffer starts as the gradient
 * b = μ·b + (1 − dampening)·d        later steps
 * d = d + μ·b (Nesterov)  or  d = b  only with momentum
 * p = p − lr·d
 * </pre>
 */
public final class SgdUpdate {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private SgdUpdate() {
    }

    /**
     * The scalars of one step for one tensor, each rounded once to F32.
     *
     * @param lr                the learning rate
     * @param weightDecay       wd, or 0 for a tensor without decay
     * @param momentum          μ, or 0 for plain SGD (then there is no buffer)
     * @param oneMinusDampening 1 − dampening
     * @param nesterov          whether to use Nesterov momentum
     * @param firstStep         whether the buffer is being created by this step
     */
    public record Coefficients(float lr, float weightDecay, float momentum, float oneMinusDampening,
            boolean nesterov, boolean firstStep) {

        /** The coefficients for a tensor with or without decay, on its first step or a later one. */
        public static Coefficients of(Sgd.Settings s, double lr, boolean decay, boolean firstStep) {
            return new Coefficients((float) lr, decay ? (float) s.weightDecay() : 0f, (float) s.momentum(),
                    (float) (1.0 - s.dampening()), s.nesterov(), firstStep);
        }
    }

    /**
     * Updates {@code p} (and {@code buf} when momentum is on) over {@code [from, to)} with the
     * Vector API. {@code buf} may be null only when {@code c.momentum() == 0}.
     *
     * @throws IndexOutOfBoundsException if the range does not fit one of the arrays
     */
    public static void apply(float[] p, float[] g, float[] buf, int from, int to, Coefficients c) {
        check(p, g, buf, from, to, c);
        float lr = c.lr(), wd = c.weightDecay(), mu = c.momentum(), omd = c.oneMinusDampening();
        boolean decay = wd != 0f, momentum = mu != 0f, nesterov = c.nesterov(), first = c.firstStep();
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += F.length()) {
            FloatVector pv = FloatVector.fromArray(F, p, i);
            FloatVector d = FloatVector.fromArray(F, g, i);
            if (decay) {
                d = d.add(pv.mul(wd));
            }
            if (momentum) {
                FloatVector b = first ? d : FloatVector.fromArray(F, buf, i).mul(mu).add(d.mul(omd));
                b.intoArray(buf, i);
                d = nesterov ? d.add(b.mul(mu)) : b;
            }
            pv.sub(d.mul(lr)).intoArray(p, i);
        }
        scalar(p, g, buf, i, to, c);
    }

    /** Scalar twin of {@link #apply}: the same bits. */
    public static void applyReference(float[] p, float[] g, float[] buf, int from, int to, Coefficients c) {
        check(p, g, buf, from, to, c);
        scalar(p, g, buf, from, to, c);
    }

    private static void scalar(float[] p, float[] g, float[] buf, int from, int to, Coefficients c) {
        float lr = c.lr(), wd = c.weightDecay(), mu = c.momentum(), omd = c.oneMinusDampening();
        boolean decay = wd != 0f, momentum = mu != 0f, nesterov = c.nesterov(), first = c.firstStep();
        for (int i = from; i < to; i++) {
            float pi = p[i];
            float d = g[i];
            if (decay) {
                d = d + pi * wd;
            }
            if (momentum) {
                float b = first ? d : buf[i] * mu + d * omd;
                buf[i] = b;
                d = nesterov ? d + b * mu : b;
            }
            p[i] = pi - d * lr;
        }
    }

    private static void check(float[] p, float[] g, float[] buf, int from, int to, Coefficients c) {
        Objects.checkFromToIndex(from, to, p.length);
        Objects.checkFromToIndex(from, to, g.length);
        if (c.momentum() != 0f) {
            Objects.requireNonNull(buf, "SGD with momentum needs a momentum buffer");
            Objects.checkFromToIndex(from, to, buf.length);
        }
    }
}
