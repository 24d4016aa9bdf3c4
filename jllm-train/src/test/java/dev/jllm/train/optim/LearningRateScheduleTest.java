package dev.jllm.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    private static final double PEAK = 1e-3;
    private static final double MIN = 1e-4;

    @Test
    void cosineAtKeySteps() {
        LearningRateSchedule s = LearningRateSchedule.warmupCosine(PEAK, MIN, 10, 110);
        assertEquals(0.0, s.lr(0), "step 0 gets 0 during warmup");
        assertEquals(1e-4, s.lr(1), 1e-15);
        assertEquals(9e-4, s.lr(9), 1e-15);
        assertEquals(PEAK, s.lr(10), 1e-15, "warmup ends at step W: the first step at the peak");
        // a quarter of the way: 1e-4 + 9e-4 · (1 + cos(π/4)) / 2 = 1e-4 + 9e-4 · 0.85355339
        assertEquals(8.681980515e-4, s.lr(35), 1e-12);
        assertEquals(5.5e-4, s.lr(60), 1e-15, "halfway: the mean of peak and min");
        // the last step of a 110-step run is just above the minimum: (1 + cos(0.99π)) / 2 = 2.4671e-4
        assertEquals(1e-4 + 9e-4 * 2.4671981e-4, s.lr(109), 1e-12);
        assertEquals(MIN, s.lr(110), 1e-15);
        assertEquals(MIN, s.lr(10_000), 1e-15, "stays at the minimum past the end");
    }

    @Test
    void linearAtKeySteps() {
        LearningRateSchedule s = LearningRateSchedule.warmupLinear(PEAK, MIN, 10, 110);
        assertEquals(0.0, s.lr(0));
        assertEquals(5e-4, s.lr(5), 1e-15);
        assertEquals(PEAK, s.lr(10), 1e-15);
        assertEquals(7.75e-4, s.lr(35), 1e-15);
        assertEquals(5.5e-4, s.lr(60), 1e-15);
        assertEquals(1.09e-4, s.lr(109), 1e-15);
        assertEquals(MIN, s.lr(110), 1e-15);
        assertEquals(MIN, s.lr(500), 1e-15);
        // Hugging Face's linear schedule decays to 0: lr(s) = peak · (T − s) / (T − W)
        LearningRateSchedule hf = LearningRateSchedule.warmupLinear(2.0, 0, 4, 12);
        assertEquals(1.0, hf.lr(2), 1e-15);
        assertEquals(1.5, hf.lr(6), 1e-15);
        assertEquals(0.0, hf.lr(12), 1e-15);
    }

    @Test
    void withoutWarmupStepZeroGetsThePeak() {
        assertEquals(PEAK, LearningRateSchedule.warmupCosine(PEAK, 0, 0, 100).lr(0), 1e-18);
        assertEquals(PEAK, LearningRateSchedule.warmupLinear(PEAK, 0, 0, 100).lr(0), 1e-18);
        // total == warmup: peak at W, minimum from the next step on
        LearningRateSchedule s = LearningRateSchedule.warmupCosine(PEAK, MIN, 5, 5);
        assertEquals(PEAK, s.lr(5), 1e-18);
        assertEquals(MIN, s.lr(6), 1e-18);
    }

    @Test
    void constant() {
        LearningRateSchedule s = LearningRateSchedule.constant(3e-4);
        assertEquals(3e-4, s.lr(0));
        assertEquals(3e-4, s.lr(123_456_789L));
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.warmupCosine(PEAK, 2 * PEAK, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.warmupCosine(PEAK, MIN, 10, 5));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.warmupLinear(PEAK, MIN, -1, 5));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.warmupLinear(Double.NaN, 0, 1, 5));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(-1));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(1).lr(-1));
    }
}
