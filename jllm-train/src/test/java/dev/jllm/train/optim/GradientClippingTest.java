package dev.jllm.train.optim;

import static dev.jllm.train.optim.AdamWTest.assertBits;
import static dev.jllm.train.optim.AdamWTest.randomArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    private static double doubleNorm(List<Parameter> params) {
        double sum = 0;
        for (Parameter p : params) {
            for (float g : p.grad()) {
                sum += (double) g * g;
            }
        }
        return Math.sqrt(sum);
    }

    private static List<Parameter> randomParams(long seed, float scale, int... sizes) {
        SplittableRandom rnd = new SplittableRandom(seed);
        java.util.ArrayList<Parameter> out = new java.util.ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            out.add(new Parameter("p" + i, new float[sizes[i]], randomArray(rnd, sizes[i], scale), true));
        }
        return out;
    }

    @Test
    void normMatchesDoublePrecisionForAnyThreadCount() {
        List<Parameter> params = randomParams(1, 0.01f, 1, 17, 1000, 2 * ChunkedLoop.CHUNK + 9);
        double expected = doubleNorm(params);
        double serial = GradientClipping.globalNorm(params, null);
        assertEquals(expected, serial, 1e-6 * expected);
        try (WorkerPool pool = new WorkerPool(2)) {
            assertEquals(serial, GradientClipping.globalNorm(params, pool), 0.0, "chunk order fixes the sum");
        }
    }

    @Test
    void hugeAndTinyGradientsNeitherOverflowNorVanish() {
        for (float scale : new float[] {1e30f, 1e-30f, 1e-42f}) {
            // 1e30² overflows F32, 1e-30² underflows it; both are fine in double
            List<Parameter> params = randomParams(6, scale, 300, 1000);
            params.get(1).grad()[500] = 3 * scale;
            double expected = doubleNorm(params);
            assertTrue(Double.isFinite(expected) && expected > 0);
            assertEquals(expected, GradientClipping.globalNorm(params, null), 1e-6 * expected, "scale " + scale);
        }
    }

    @Test
    void clipsToTheMaximumNorm() {
        List<Parameter> params = randomParams(2, 1f, 33, 100);
        float[][] before = params.stream().map(p -> p.grad().clone()).toArray(float[][]::new);
        double norm = doubleNorm(params);
        double max = norm / 4;
        double reported = GradientClipping.clipByGlobalNorm(params, max, null);
        assertEquals(norm, reported, 1e-6 * norm, "returns the norm before clipping");
        assertEquals(max, doubleNorm(params), 1e-6 * max);
        double scale = max / (norm + GradientClipping.EPSILON);
        for (int i = 0; i < params.size(); i++) {
            for (int j = 0; j < before[i].length; j++) {
                assertEquals(before[i][j] * scale, params.get(i).grad()[j], 1e-6 * Math.abs(before[i][j]));
            }
        }
    }

    @Test
    void leavesGradientsAloneBelowTheMaximum() {
        List<Parameter> params = randomParams(3, 1f, 50);
        float[] before = params.get(0).grad().clone();
        double norm = doubleNorm(params);
        assertEquals(norm, GradientClipping.clipByGlobalNorm(params, norm * 1.01, null), 1e-6 * norm);
        assertBits(before, params.get(0).grad(), "unclipped gradient");
    }

    @Test
    void nonFiniteNormIsReportedAndNothingIsScaled() {
        List<Parameter> params = randomParams(4, 1f, 40, 40);
        params.get(1).grad()[7] = Float.NaN;
        float[] before = params.get(0).grad().clone();
        assertTrue(Double.isNaN(GradientClipping.clipByGlobalNorm(params, 1e-3, null)));
        assertBits(before, params.get(0).grad(), "gradient next to a NaN");

        params.get(1).grad()[7] = Float.NEGATIVE_INFINITY;
        assertEquals(Double.POSITIVE_INFINITY, GradientClipping.clipByGlobalNorm(params, 1e-3, null));
        assertBits(before, params.get(0).grad(), "gradient next to an infinity");

        params.get(1).grad()[8] = Float.NaN;
        assertTrue(Double.isNaN(GradientClipping.globalNorm(params, null)), "NaN wins over infinity");
    }

    @Test
    void badMaximumIsRejected() {
        List<Parameter> params = randomParams(5, 1f, 4);
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(params, 0, null));
        assertThrows(IllegalArgumentException.class,
                () -> GradientClipping.clipByGlobalNorm(params, Double.NaN, null));
    }
}
