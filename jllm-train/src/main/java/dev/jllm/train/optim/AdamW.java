package dev.jllm.train.optim;

import dev.jllm.core.parallel.WorkerPool;
import java.util.List;

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov &amp; Hutter), as PyTorch's
 * {@code torch.optim.AdamW}. See {@link AdamWUpdate} for the per-element formula.
 *
 * <p>Weight decay applies to parameters whose {@link Parameter#decay()} is set (see
 * {@link WeightDecayRule}). The step count {@code t} in the bias corrections is the optimizer's
 * global count, the same for all parameters; a parameter first seen after step 1 starts with
 * zero moments but that global {@code t} (PyTorch counts per parameter; a trainer that passes
 * the same parameters every step sees no difference).
 *
 * <p>Tensors larger than one chunk are updated in parallel on the pool given to the constructor;
 * the result is the same bits for any thread count, and the same as {@link
 * AdamWUpdate#applyReference}.
 */
public final class AdamW implements Optimizer {
    /** The algorithm name in {@link OptimizerState#algorithm()}. */
    public static final String ALGORITHM = "adamw";

    private static final int EXP_AVG = 0;
    private static final int EXP_AVG_SQ = 1;

    /**
     * AdamW's hyperparameters.
     *
     * @param beta1       decay of the first moment, in [0, 1)
     * @param beta2       decay of the second moment, in [0, 1)
     * @param eps         added to the bias-corrected √v, ≥ 0
     * @param weightDecay decoupled weight decay (multiplied by lr), ≥ 0
     */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {

        /** PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, weight decay 0.01. */
        public static final Settings DEFAULT = new Settings(0.9, 0.999, 1e-8, 0.01);

        /** @throws IllegalArgumentException naming the hyperparameter out of range */
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1)) {
                throw new IllegalArgumentException("AdamW beta1 must be in [0, 1), got " + beta1);
            }
            if (!(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("AdamW beta2 must be in [0, 1), got " + beta2);
            }
            if (!(eps >= 0 && Double.isFinite(eps))) {
                throw new IllegalArgumentException("AdamW eps must be finite and non-negative, got " + eps);
            }
            if (!(weightDecay >= 0 && Double.isFinite(weightDecay))) {
                throw new IllegalArgumentException("AdamW weight decay must be finite and non-negative, got "
                        + weightDecay);
            }
        }

        /** These settings with another weight decay. */
        public Settings withWeightDecay(double wd) {
            return new Settings(beta1, beta2, eps, wd);
        }
    }

    private final Settings settings;
    private final WorkerPool pool;
    private final ParameterBuffers buffers = new ParameterBuffers(ALGORITHM, "exp_avg", "exp_avg_sq");
    private long steps;

    /** An AdamW that runs on the calling thread only. */
    public AdamW(Settings settings) {
        this(settings, null);
    }

    /** An AdamW that splits large tensors over {@code pool} (null: the calling thread only). */
    public AdamW(Settings settings, WorkerPool pool) {
        this.settings = java.util.Objects.requireNonNull(settings, "settings");
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
        long t = steps + 1;
        for (Parameter p : params) {
            float[] m = buffers.getOrCreate(EXP_AVG, p);
            float[] v = buffers.getOrCreate(EXP_AVG_SQ, p);
            AdamWUpdate.Coefficients c = AdamWUpdate.Coefficients.of(settings, lr, t, p.decay());
            float[] value = p.value();
            float[] grad = p.grad();
            ChunkedLoop.run(pool, p.size(), (from, to) -> AdamWUpdate.apply(value, grad, m, v, from, to, c));
        }
        steps = t;
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
        buffers.load(state, params, state.steps() > 0);
        steps = state.steps();
    }
}
