package dev.jllm.train.optim;

/**
 * The learning rate as a function of the optimizer step.
 *
 * <p>Steps count from 0: {@code lr(0)} is the rate of the first update, and a trainer calls
 * {@code optimizer.step(params, schedule.lr(optimizer.steps()))}. The warmup schedules follow
 * Hugging Face's {@code get_cosine_schedule_with_warmup} and
 * {@code get_linear_schedule_with_warmup} (with a minimum rate, as their {@code min_lr}
 * variants): with {@code W} warmup steps, step {@code s < W} gets {@code peak · s / W}, so step 0
 * gets 0 when {@code W > 0}; warmup ends at step {@code W}, the first step at the peak rate; the
 * decay then reaches the minimum at step {@code total} and stays there.
 */
public interface LearningRateSchedule {

    /**
     * The learning rate of step {@code step} (0 for the first update).
     *
     * @throws IllegalArgumentException if {@code step < 0}
     */
    double lr(long step);

    /** The same rate at every step. */
    static LearningRateSchedule constant(double lr) {
        return new ConstantSchedule(lr);
    }

    /** Linear warmup over {@code warmup} steps, then cosine decay to {@code min} at step {@code total}. */
    static LearningRateSchedule warmupCosine(double peak, double min, long warmup, long total) {
        return new WarmupDecaySchedule(WarmupDecaySchedule.Decay.COSINE, peak, min, warmup, total);
    }

    /** Linear warmup over {@code warmup} steps, then linear decay to {@code min} at step {@code total}. */
    static LearningRateSchedule warmupLinear(double peak, double min, long warmup, long total) {
        return new WarmupDecaySchedule(WarmupDecaySchedule.Decay.LINEAR, peak, min, warmup, total);
    }

    /** @throws IllegalArgumentException if {@code step < 0} */
    static void checkStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("schedule step must be non-negative, got " + step);
        }
    }

    /** @throws IllegalArgumentException naming {@code what} if {@code lr} is negative, NaN or infinite */
    static void checkRate(String what, double lr) {
        if (!(lr >= 0 && Double.isFinite(lr))) {
            throw new IllegalArgumentException(what + " must be finite and non-negative, got " + lr);
        }
    }
}
