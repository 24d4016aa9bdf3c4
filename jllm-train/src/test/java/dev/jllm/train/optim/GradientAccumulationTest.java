package dev.jllm.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GradientAccumulationTest {

    @Test
    void scaledMicroBatchesGiveTheFullBatchGradient() {
        LeastSquares problem = new LeastSquares(12, 3, 6);
        double[] x = {0.3, -0.2, 0.7};
        double[] full = problem.gradient(x, 0, 12);
        GradientAccumulation acc = new GradientAccumulation(4);

        // scale each micro-batch's mean loss, backward adds into grad
        Parameter p = Parameter.of("x", new float[3], true);
        // or backward unscaled and average once
        Parameter q = Parameter.of("x", new float[3], true);
        int micro = 0;
        for (int from = 0; from < 12; from += 3, micro++) {
            double[] g = problem.gradient(x, from, from + 3);
            for (int i = 0; i < 3; i++) {
                p.grad()[i] += (float) (g[i] * acc.lossScale());
                q.grad()[i] += (float) g[i];
            }
            assertEquals(micro == 3, acc.completesStep(micro));
        }
        acc.averageGradients(List.of(q), null);
        for (int i = 0; i < 3; i++) {
            assertEquals(full[i], p.grad()[i], 1e-6 * Math.max(1, Math.abs(full[i])));
            assertEquals(full[i], q.grad()[i], 1e-6 * Math.max(1, Math.abs(full[i])));
        }
    }

    @Test
    void stepBoundaries() {
        GradientAccumulation acc = new GradientAccumulation(3);
        assertFalse(acc.completesStep(0));
        assertFalse(acc.completesStep(1));
        assertTrue(acc.completesStep(2));
        assertTrue(acc.completesStep(5));
        assertTrue(new GradientAccumulation(1).completesStep(0));
        assertEquals(1.0 / 3, acc.lossScale());
        assertThrows(IllegalArgumentException.class, () -> new GradientAccumulation(0));
        assertThrows(IllegalArgumentException.class, () -> acc.completesStep(-1));
    }
}
