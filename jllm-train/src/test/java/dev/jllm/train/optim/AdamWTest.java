package dev.jllm.train.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AdamWTest {

    /** Adam as written in Loshchilov & Hutter, in double: decoupled decay, then the bias-corrected step. */
    private static final class DoubleAdamW {
        final double b1, b2, eps, wd;
        final double[] p, m, v;
        int t;

        DoubleAdamW(AdamW.Settings s, float[] p0) {
            b1 = s.beta1();
            b2 = s.beta2();
            eps = s.eps();
            wd = s.weightDecay();
            p = new double[p0.length];
            for (int i = 0; i < p0.length; i++) {
                p[i] = p0[i];
            }
            m = new double[p0.length];
            v = new double[p0.length];
        }

        void step(float[] g, double lr, boolean decay) {
            t++;
            for (int i = 0; i < p.length; i++) {
                if (decay) {
                    p[i] -= lr * wd * p[i];
                }
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * (double) g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
    }

    @Test
    void firstStepByHand() {
        // step 1: m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps) ≈ lr·sign(g)
        Parameter decayed = Parameter.of("w", new float[] {1f, -2f}, true);
        Parameter plain = Parameter.of("b", new float[] {1f}, false);
        decayed.grad()[0] = 0.5f;
        decayed.grad()[1] = -0.25f;
        plain.grad()[0] = 0.5f;
        AdamW opt = new AdamW(new AdamW.Settings(0.9, 0.999, 1e-8, 0.1));
        opt.step(List.of(decayed, plain), 0.1);
        // 1·(1 − 0.1·0.1) − 0.1·0.5/(0.5 + 1e-8) = 0.99 − 0.09999999800 = 0.890000002
        assertEquals(0.890000002, decayed.value()[0], 1e-7);
        // −2·0.99 + 0.1·0.25/(0.25 + 1e-8) = −1.98 + 0.0999999960 = −1.880000004
        assertEquals(-1.880000004, decayed.value()[1], 1e-7);
        assertEquals(0.900000002, plain.value()[0], 1e-7);
        assertEquals(1, opt.steps());
    }

    @Test
    void firstStepsMatchTheDoubleFormulas() {
        AdamW.Settings s = new AdamW.Settings(0.8, 0.95, 1e-3, 0.2);
        SplittableRandom rnd = new SplittableRandom(11);
        float[] w0 = randomArray(rnd, 37, 1f);
        float[] b0 = randomArray(rnd, 5, 1f);
        Parameter w = Parameter.of("w", w0.clone(), true);
        Parameter b = Parameter.of("b", b0.clone(), false);
        DoubleAdamW ow = new DoubleAdamW(s, w0);
        DoubleAdamW ob = new DoubleAdamW(s, b0);
        AdamW opt = new AdamW(s);
        double[] lrs = {0.05, 0.02, 0.1, 0.07};
        for (double lr : lrs) {
            fill(rnd, w.grad(), 0.5f);
            fill(rnd, b.grad(), 0.5f);
            opt.step(List.of(w, b), lr);
            ow.step(w.grad(), lr, true);
            ob.step(b.grad(), lr, false);
            assertClose(ow.p, w.value(), 2e-6);
            assertClose(ob.p, b.value(), 2e-6);
        }
    }

    @Test
    void vectorPathEqualsScalarReferenceBitForBit() {
        SplittableRandom rnd = new SplittableRandom(3);
        AdamW.Settings s = AdamW.Settings.DEFAULT.withWeightDecay(0.1);
        for (int n : new int[] {1, 3, 15, 16, 17, 63, 255, 1001, 4099}) {
            for (boolean decay : new boolean[] {true, false}) {
                float[] p = randomArray(rnd, n, 2f);
                float[] m = randomArray(rnd, n, 0.1f);
                float[] v = absolute(randomArray(rnd, n, 0.01f));
                float[] p2 = p.clone(), m2 = m.clone(), v2 = v.clone();
                for (long t = 1; t <= 3; t++) {
                    float[] g = randomArray(rnd, n, 1f);
                    AdamWUpdate.Coefficients c = AdamWUpdate.Coefficients.of(s, 0.003 * t, t, decay);
                    int from = Math.min(n, 2);
                    AdamWUpdate.apply(p, g, m, v, from, n, c);
                    AdamWUpdate.applyReference(p2, g, m2, v2, from, n, c);
                }
                assertBits(p2, p, "value, n=" + n);
                assertBits(m2, m, "first moment, n=" + n);
                assertBits(v2, v, "second moment, n=" + n);
            }
        }
    }

    @Test
    void parallelStepEqualsScalarReferenceForAnyThreadCount() {
        int n = 3 * ChunkedLoop.CHUNK + 77;
        SplittableRandom rnd = new SplittableRandom(5);
        float[] p0 = randomArray(rnd, n, 1f);
        float[] g = randomArray(rnd, n, 1f);
        float[] ref = p0.clone();
        float[] m = new float[n], v = new float[n];
        AdamWUpdate.applyReference(ref, g, m, v, 0, n,
                AdamWUpdate.Coefficients.of(AdamW.Settings.DEFAULT, 1e-3, 1, true));
        try (WorkerPool pool = new WorkerPool(2)) {
            Parameter p = new Parameter("w", p0.clone(), g, true);
            new AdamW(AdamW.Settings.DEFAULT, pool).step(List.of(p), 1e-3);
            assertBits(ref, p.value(), "2 threads");
        }
        Parameter serial = new Parameter("w", p0.clone(), g, true);
        new AdamW(AdamW.Settings.DEFAULT).step(List.of(serial), 1e-3);
        assertBits(ref, serial.value(), "1 thread");
    }

    @Test
    void resumeFromSavedStateGivesIdenticalUpdates() {
        SplittableRandom rnd = new SplittableRandom(9);
        List<Parameter> params = List.of(Parameter.of("a", randomArray(rnd, 41, 1f), true),
                Parameter.of("b", randomArray(rnd, 7, 1f), false));
        float[][][] grads = new float[6][2][];
        for (float[][] step : grads) {
            step[0] = randomArray(rnd, 41, 1f);
            step[1] = randomArray(rnd, 7, 1f);
        }
        AdamW first = new AdamW(AdamW.Settings.DEFAULT);
        for (int s = 0; s < 3; s++) {
            stepWith(first, params, grads[s], 0.01);
        }
        OptimizerState saved = first.state();
        List<Parameter> copies = params.stream().map(p -> Parameter.of(p.name(), p.value().clone(), p.decay()))
                .toList();
        for (int s = 3; s < 6; s++) {
            stepWith(first, params, grads[s], 0.01);
        }
        assertEquals(3, saved.steps(), "the snapshot does not move with the optimizer");
        AdamW resumed = new AdamW(AdamW.Settings.DEFAULT);
        resumed.load(saved, copies);
        assertEquals(3, resumed.steps());
        for (int s = 3; s < 6; s++) {
            stepWith(resumed, copies, grads[s], 0.01);
        }
        for (int i = 0; i < params.size(); i++) {
            assertBits(params.get(i).value(), copies.get(i).value(), params.get(i).name());
        }
        assertEquals(List.of("exp_avg/a", "exp_avg_sq/a", "exp_avg/b", "exp_avg_sq/b"),
                List.copyOf(first.state().buffers().keySet()));
    }

    @Test
    void mismatchedStateIsRejectedWithTheBufferName() {
        List<Parameter> params = List.of(Parameter.of("a", new float[4], true), Parameter.of("b", new float[2], true));
        AdamW opt = new AdamW(AdamW.Settings.DEFAULT);
        opt.step(params, 0.1);
        OptimizerState good = opt.state();

        List<Parameter> resized = List.of(Parameter.of("a", new float[5], true), params.get(1));
        var e = assertThrows(IllegalArgumentException.class,
                () -> new AdamW(AdamW.Settings.DEFAULT).load(good, resized));
        assertTrue(e.getMessage().contains("exp_avg/a"), e.getMessage());

        List<Parameter> extra = List.of(params.get(0), params.get(1), Parameter.of("c", new float[1], true));
        e = assertThrows(IllegalArgumentException.class, () -> new AdamW(AdamW.Settings.DEFAULT).load(good, extra));
        assertTrue(e.getMessage().contains("exp_avg/c"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> new AdamW(AdamW.Settings.DEFAULT).load(good, List.of(params.get(0))));
        assertTrue(e.getMessage().contains("/b"), e.getMessage());

        OptimizerState sgd = new OptimizerState(Sgd.ALGORITHM, 1, good.buffers());
        e = assertThrows(IllegalArgumentException.class, () -> new AdamW(AdamW.Settings.DEFAULT).load(sgd, params));
        assertTrue(e.getMessage().contains("sgd"), e.getMessage());

        // a failed load leaves the optimizer as it was
        assertEquals(1, opt.steps());
        var dup = List.of(params.get(0), Parameter.of("a", new float[4], true));
        assertThrows(IllegalArgumentException.class, () -> opt.step(dup, 0.1));
        assertThrows(IllegalStateException.class, () -> opt.step(resized, 0.1));
        assertThrows(IllegalArgumentException.class, () -> opt.step(params, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new AdamW.Settings(1.0, 0.999, 1e-8, 0));
        assertThrows(IllegalArgumentException.class, () -> new AdamW.Settings(0.9, 0.999, -1, 0));
    }

    @Test
    void solvesLeastSquares() {
        LeastSquares problem = new LeastSquares(40, 6, 21);
        Parameter x = Parameter.of("x", new float[6], true);
        AdamW opt = new AdamW(AdamW.Settings.DEFAULT.withWeightDecay(0));
        LearningRateSchedule lr = LearningRateSchedule.warmupCosine(0.05, 0.0005, 20, 1500);
        for (int s = 0; s < 1500; s++) {
            problem.gradient(x.value(), x.grad());
            opt.step(List.of(x), lr.lr(opt.steps()));
        }
        double[] best = problem.solution();
        for (int i = 0; i < best.length; i++) {
            assertEquals(best[i], x.value()[i], 2e-3, "x[" + i + "]");
        }
        assertTrue(problem.loss(x.value()) < problem.loss(best) + 1e-5);
    }

    @Test
    void zeroGradClearsEveryGradient() {
        Parameter p = Parameter.of("p", new float[3], true);
        p.grad()[1] = 5f;
        new AdamW(AdamW.Settings.DEFAULT).zeroGrad(List.of(p));
        assertArrayEquals(new float[3], p.grad());
    }

    static void stepWith(Optimizer opt, List<Parameter> params, float[][] grads, double lr) {
        for (int i = 0; i < params.size(); i++) {
            System.arraycopy(grads[i], 0, params.get(i).grad(), 0, grads[i].length);
        }
        opt.step(params, lr);
    }

    static float[] randomArray(SplittableRandom rnd, int n, float scale) {
        float[] a = new float[n];
        fill(rnd, a, scale);
        return a;
    }

    static void fill(SplittableRandom rnd, float[] a, float scale) {
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rnd.nextGaussian() * scale);
        }
    }

    static float[] absolute(float[] a) {
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.abs(a[i]);
        }
        return a;
    }

    static void assertBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + " differs at " + i + ": expected " + expected[i] + " got " + actual[i]);
            }
        }
    }

    static void assertClose(double[] expected, float[] actual, double relative) {
        for (int i = 0; i < expected.length; i++) {
            double tol = relative * Math.max(1, Math.abs(expected[i]));
            assertEquals(expected[i], actual[i], tol, "element " + i);
        }
    }
}
