package dev.jllm.train.optim;

import dev.jllm.core.parallel.WorkerPool;
import java.util.List;

/**
 * Gradient accumulation over {@code microSteps} micro-batches per optimizer step, so that the
 * accumulated gradient is the mean over the whole batch, as one big batch would give.
 *
 * <p>Backward adds into {@link Parameter#grad()}; the gradients are zeroed once per optimizer
 * step, not per micro-batch. Either scale each micro-batch's (mean) loss by
 * {@link #lossScale()} before backward (the usual way, as nanoGPT does; the logged loss is then
 * the sum of the scaled losses), or backward the unscaled losses and call
 * {@link #averageGradients} once before clipping. Both give the same gradient up to rounding;
 * do one, not both.
 *
 * @param microSteps micro-batches per optimizer step, ≥ 1
 */
public record GradientAccumulation(int microSteps) {

    /** @throws IllegalArgumentException if {@code microSteps < 1} */
    public GradientAccumulation {
        if (microSteps < 1) {
            throw new IllegalArgumentException("gradient accumulation steps must be at least 1, got " + microSteps);
        }
    }

    /** The factor 1 / microSteps for each micro-batch's loss. */
    public double lossScale() {
        return 1.0 / microSteps;
    }

    /**
     * Whether micro-batch number {@code microStep} (counted from 0 over the whole run) is the last
     * of its optimizer step, after which the optimizer steps.
     */
    public boolean completesStep(long microStep) {
        if (microStep < 0) {
            throw new IllegalArgumentException("micro-step must be non-negative, got " + microStep);
        }
        return (microStep + 1) % microSteps == 0;
    }

    /** Divides every gradient by {@code microSteps} (for losses that were not scaled). */
    public void averageGradients(List<Parameter> params, WorkerPool pool) {
        if (microSteps == 1) {
            return;
        }
        float s = (float) lossScale();
        for (Parameter p : params) {
            GradientClipping.scale(p.grad(), s, pool);
        }
    }
}
