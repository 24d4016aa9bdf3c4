package dev.jllm.train.optim;

import java.util.Objects;

/**
 * Linear warmup from 0 to {@code peak}, then cosine or linear decay from {@code peak} to
 * {@code min} (Hugging Face conventions; see {@link LearningRateSchedule}):
 * <pre>
 * s &lt; W:             peak · s / W
 * s ≥ W:             min + (peak − min) · f(q),  q = min(1, (s − W) / max(1, T − W))
 * cosine:            f(q) = (1 + cos(π q)) / 2
 * linear:            f(q) = 1 − q
 * </pre>
 * So {@code lr(0) = 0} when {@code W > 0} (else {@code peak}), {@code lr(W) = peak},
 * {@code lr(T) = min}, and every later step gets {@code min}.
 *
 * @param decay  the decay's shape
 * @param peak   the rate at the end of warmup
 * @param min    the rate at and after step {@code total}, in [0, peak]
 * @param warmup warmup steps W, ≥ 0
 * @param total  the step T at which the decay reaches {@code min}, ≥ W
 */
public record WarmupDecaySchedule(Decay decay, double peak, double min, long warmup, long total)
        implements LearningRateSchedule {

    /** The shape of the decay after warmup. */
    public enum Decay {
        /** Half a cosine period from peak to min. */
        COSINE,
        /** A straight line from peak to min. */
        LINEAR
    }

    /** @throws IllegalArgumentException naming the argument out of range */
    public WarmupDecaySchedule {
        Objects.requireNonNull(decay, "decay");
        LearningRateSchedule.checkRate("peak learning rate", peak);
        LearningRateSchedule.checkRate("minimum learning rate", min);
        if (min > peak) {
            throw new IllegalArgumentException("minimum learning rate " + min + " exceeds the peak " + peak);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("warmup steps must be non-negative, got " + warmup);
        }
        if (total < warmup) {
            throw new IllegalArgumentException("total steps " + total + " are fewer than the warmup steps "
                    + warmup);
        }
    }

    @Override
    public double lr(long step) {
        LearningRateSchedule.checkStep(step);
        if (step < warmup) {
            return peak * step / warmup;
        }
        double q = Math.min(1.0, (double) (step - warmup) / Math.max(1L, total - warmup));
        double f = switch (decay) {
            case COSINE -> 0.5 * (1.0 + Math.cos(Math.PI * q));
            case LINEAR -> 1.0 - q;
        };
        return min + (peak - min) * f;
    }
}
