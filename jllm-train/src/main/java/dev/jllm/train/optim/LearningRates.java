package dev.jllm.train.optim;

/** The check every optimizer makes on the learning rate it is given. */
final class LearningRates {
    private LearningRates() {
    }

    /** @throws IllegalArgumentException if {@code lr} is negative, NaN or infinite */
    static void check(double lr) {
        if (!(lr >= 0 && Double.isFinite(lr))) {
            throw new IllegalArgumentException("learning rate must be finite and non-negative, got " + lr);
        }
    }
}
