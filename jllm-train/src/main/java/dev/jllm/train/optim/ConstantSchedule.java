package dev.jllm.train.optim;

/**
 * The same learning rate at every step.
 *
 * @param rate the learning rate, finite and non-negative
 */
public record ConstantSchedule(double rate) implements LearningRateSchedule {

    /** @throws IllegalArgumentException if the rate is negative, NaN or infinite */
    public ConstantSchedule {
        LearningRateSchedule.checkRate("learning rate", rate);
    }

    @Override
    public double lr(long step) {
        LearningRateSchedule.checkStep(step);
        return rate;
    }
}
