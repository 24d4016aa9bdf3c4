package dev.jllm.train.optim;

import dev.jllm.core.parallel.WorkerPool;
import java.util.List;
import java.util.Objects;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and (coupled,
 * L2) weight decay, as PyTorch's {@code torch.optim.SGD}. See {@link SgdUpdate} for the formula.
 *
 * <p>As in PyTorch, a parameter's momentum buffer is created on its first step as a copy of its
 * (decayed) gradient, without dampening. Weight decay applies only to parameters whose
 * {@link Parameter#decay()} is set.
 */
public final class Sgd implements Optimizer {
    /** The algorithm name in {@link OptimizerState#algorithm()}. */
    public static final String ALGORITHM = "sgd";

    private static final int MOMENTUM_BUFFER = 0;

    /**
     * SGD's hyperparameters.
     *
     * @param momentum    μ, ≥ 0 (0: plain SGD, no state)
     * @param dampening   in [0, 1]; must be 0 with Nesterov
     * @param weightDecay L2 penalty added to the gradient, ≥ 0
     * @param nesterov    Nesterov momentum (needs μ &gt; 0 and no dampening)
     */
    public record Settings(double momentum, double dampening, double weightDecay, boolean nesterov) {

        /** Plain SGD: no momentum, no decay. */
        public static final Settings PLAIN = new Settings(0, 0, 0, false);

        /** @throws IllegalArgumentException naming the hyperparameter out of range */
        public Settings {
            if (!(momentum >= 0 && Double.isFinite(momentum))) {
                throw new IllegalArgumentException("SGD momentum must be finite and non-negative, got " + momentum);
            }
            if (!(dampening >= 0 && dampening <= 1)) {
                throw new IllegalArgumentException("SGD dampening must be in [0, 1], got " + dampening);
            }
            if (!(weightDecay >= 0 && Double.isFinite(weightDecay))) {
                throw new IllegalArgumentException("SGD weight decay must be finite and non-negative, got "
                        + weightDecay);
            }
            if (nesterov && (momentum == 0 || dampening != 0)) {
                throw new IllegalArgumentException("SGD Nesterov momentum needs momentum > 0 and dampening 0, got "
                        + "momentum " + momentum + " and dampening " + dampening);
            }
        }

        /** SGD with momentum {@code mu} and nothing else. */
        public static Settings momentum(double mu) {
            return new Settings(mu, 0, 0, false);
        }
    }

    private final Settings settings;
    private final WorkerPool pool;
    private final ParameterBuffers buffers = new ParameterBuffers(ALGORITHM, "momentum_buffer");
    private long steps;

    /** An SGD that runs on the calling thread only. */
    public Sgd(Settings settings) {
        this(settings, null);
    }

    /** An SGD that splits large tensors over {@code pool} (null: the calling thread only). */
    public Sgd(Settings settings, WorkerPool pool) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.pool = pool;
    }

    /** The hyperparameters. */
    public Settings settings() {
        return settings;
    }

    @Override
    public void step(List<Parameter> params, double lr) {
        LearningRates.check(lr);
        buffers.checkFits(params);
        boolean momentum = settings.momentum() != 0;
        for (Parameter p : params) {
            float[] buf = null;
            boolean first = false;
            if (momentum) {
                buf = buffers.get(MOMENTUM_BUFFER, p);
                if (buf == null) {
                    first = true;
                    buf = new float[p.size()];
                    buffers.put(MOMENTUM_BUFFER, p, buf);
                }
            }
            SgdUpdate.Coefficients c = SgdUpdate.Coefficients.of(settings, lr, p.decay(), first);
            float[] value = p.value();
            float[] grad = p.grad();
            float[] b = buf;
            ChunkedLoop.run(pool, p.size(), (from, to) -> SgdUpdate.apply(value, grad, b, from, to, c));
        }
        steps++;
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public OptimizerState state() {
        return new OptimizerState(ALGORITHM, steps, buffers.snapshot());
    }

    @Override
    public void load(OptimizerState state, List<Parameter> params) {
        buffers.load(state, params, state.steps() > 0 && settings.momentum() != 0);
        steps = state.steps();
    }
}
