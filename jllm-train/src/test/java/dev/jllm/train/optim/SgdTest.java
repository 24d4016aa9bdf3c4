package dev.jllm.train.optim;

import static dev.jllm.train.optim.AdamWTest.assertBits;
import static dev.jllm.train.optim.AdamWTest.assertClose;
import static dev.jllm.train.optim.AdamWTest.fill;
import static dev.jllm.train.optim.AdamWTest.randomArray;
import static dev.jllm.train.optim.AdamWTest.stepWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SgdTest {

    /** The algorithm of PyTorch's SGD documentation, in double. */
    private static final class DoubleSgd {
        final Sgd.Settings s;
        final double[] p;
        double[] buf;

        DoubleSgd(Sgd.Settings s, float[] p0) {
            this.s = s;
            p = new double[p0.length];
            for (int i = 0; i < p0.length; i++) {
                p[i] = p0[i];
            }
        }

        void step(float[] g, double lr, boolean decay) {
            boolean first = buf == null;
            if (first) {
                buf = new double[p.length];
            }
            for (int i = 0; i < p.length; i++) {
                double d = g[i] + (decay ? s.weightDecay() * p[i] : 0);
                if (s.momentum() != 0) {
                    buf[i] = first ? d : s.momentum() * buf[i] + (1 - s.dampening()) * d;
                    d = s.nesterov() ? d + s.momentum() * buf[i] : buf[i];
                }
                p[i] -= lr * d;
            }
        }
    }

    private static final Sgd.Settings[] VARIANTS = {
        Sgd.Settings.PLAIN,
        new Sgd.Settings(0, 0, 0.05, false),
        Sgd.Settings.momentum(0.9),
        new Sgd.Settings(0.9, 0.5, 0.1, false),
        new Sgd.Settings(0.8, 0, 0.01, true),
    };

    @Test
    void twoStepsByHand() {
        Parameter nesterov = Parameter.of("n", new float[] {1f}, true);
        Parameter damped = Parameter.of("d", new float[] {1f}, true);
        Sgd a = new Sgd(new Sgd.Settings(0.9, 0, 0.1, true));
        Sgd b = new Sgd(new Sgd.Settings(0.9, 0.5, 0.1, false));
        for (int s = 0; s < 2; s++) {
            nesterov.grad()[0] = 0.5f;
            damped.grad()[0] = 0.5f;
            a.step(List.of(nesterov), 0.1);
            b.step(List.of(damped), 0.1);
            if (s == 0) {
                // d = 0.5 + 0.1·1 = 0.6, buf = 0.6, Nesterov d = 0.6 + 0.9·0.6 = 1.14
                assertEquals(0.886, nesterov.value()[0], 1e-6);
                // the first buffer is the gradient, undamped: p = 1 − 0.1·0.6
                assertEquals(0.94, damped.value()[0], 1e-6);
            }
        }
        // d = 0.5 + 0.0886 = 0.5886, buf = 0.54 + 0.5886 = 1.1286, d = 0.5886 + 1.01574
        assertEquals(0.725566, nesterov.value()[0], 1e-6);
        // d = 0.5 + 0.094 = 0.594, buf = 0.9·0.6 + 0.5·0.594 = 0.837
        assertEquals(0.8563, damped.value()[0], 1e-6);
    }

    @Test
    void stepsMatchTheDoubleAlgorithm() {
        SplittableRandom rnd = new SplittableRandom(17);
        for (Sgd.Settings s : VARIANTS) {
            float[] w0 = randomArray(rnd, 29, 1f);
            float[] b0 = randomArray(rnd, 3, 1f);
            Parameter w = Parameter.of("w", w0.clone(), true);
            Parameter b = Parameter.of("b", b0.clone(), false);
            DoubleSgd ow = new DoubleSgd(s, w0);
            DoubleSgd ob = new DoubleSgd(s, b0);
            Sgd opt = new Sgd(s);
            for (double lr : new double[] {0.1, 0.05, 0.2, 0.02}) {
                fill(rnd, w.grad(), 1f);
                fill(rnd, b.grad(), 1f);
                opt.step(List.of(w, b), lr);
                ow.step(w.grad(), lr, true);
                ob.step(b.grad(), lr, false);
                assertClose(ow.p, w.value(), 2e-6);
                assertClose(ob.p, b.value(), 2e-6);
            }
        }
    }

    @Test
    void vectorPathEqualsScalarReferenceBitForBit() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (Sgd.Settings s : VARIANTS) {
            for (int n : new int[] {1, 5, 16, 33, 257, 2049}) {
                for (boolean decay : new boolean[] {true, false}) {
                    float[] p = randomArray(rnd, n, 1f);
                    float[] buf = new float[n];
                    float[] p2 = p.clone(), buf2 = buf.clone();
                    for (int t = 0; t < 3; t++) {
                        float[] g = randomArray(rnd, n, 1f);
                        SgdUpdate.Coefficients c = SgdUpdate.Coefficients.of(s, 0.01 * (t + 1), decay, t == 0);
                        SgdUpdate.apply(p, g, buf, 1 % n, n, c);
                        SgdUpdate.applyReference(p2, g, buf2, 1 % n, n, c);
                    }
                    assertBits(p2, p, s + " n=" + n);
                    assertBits(buf2, buf, s + " buffer n=" + n);
                }
            }
        }
    }

    @Test
    void parallelStepEqualsScalarReference() {
        int n = 2 * ChunkedLoop.CHUNK + 3;
        SplittableRandom rnd = new SplittableRandom(8);
        Sgd.Settings s = new Sgd.Settings(0.9, 0, 0.01, true);
        float[] p0 = randomArray(rnd, n, 1f);
        float[][] grads = {randomArray(rnd, n, 1f), randomArray(rnd, n, 1f)};
        float[] ref = p0.clone();
        float[] buf = new float[n];
        for (int t = 0; t < 2; t++) {
            SgdUpdate.applyReference(ref, grads[t], buf, 0, n, SgdUpdate.Coefficients.of(s, 0.1, true, t == 0));
        }
        try (WorkerPool pool = new WorkerPool(2)) {
            Parameter p = Parameter.of("w", p0.clone(), true);
            Sgd opt = new Sgd(s, pool);
            for (float[] g : grads) {
                stepWith(opt, List.of(p), new float[][] {g}, 0.1);
            }
            assertBits(ref, p.value(), "2 threads");
        }
    }

    @Test
    void resumeFromSavedStateGivesIdenticalUpdates() {
        SplittableRandom rnd = new SplittableRandom(10);
        Sgd.Settings s = new Sgd.Settings(0.9, 0.1, 0.01, false);
        List<Parameter> params = List.of(Parameter.of("a", randomArray(rnd, 19, 1f), true),
                Parameter.of("b", randomArray(rnd, 4, 1f), false));
        float[][][] grads = new float[5][2][];
        for (float[][] step : grads) {
            step[0] = randomArray(rnd, 19, 1f);
            step[1] = randomArray(rnd, 4, 1f);
        }
        Sgd first = new Sgd(s);
        for (int t = 0; t < 2; t++) {
            stepWith(first, params, grads[t], 0.05);
        }
        OptimizerState saved = first.state();
        List<Parameter> copies = params.stream().map(p -> Parameter.of(p.name(), p.value().clone(), p.decay()))
                .toList();
        for (int t = 2; t < 5; t++) {
            stepWith(first, params, grads[t], 0.05);
        }
        Sgd resumed = new Sgd(s);
        resumed.load(saved, copies);
        for (int t = 2; t < 5; t++) {
            stepWith(resumed, copies, grads[t], 0.05);
        }
        for (int i = 0; i < params.size(); i++) {
            assertBits(params.get(i).value(), copies.get(i).value(), params.get(i).name());
        }
        assertEquals(5, resumed.steps());

        // a fresh optimizer's state has no buffers and loads into any parameter list
        OptimizerState fresh = new Sgd(s).state();
        assertTrue(fresh.buffers().isEmpty());
        new Sgd(s).load(fresh, params);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Sgd(s).load(saved, List.of(params.get(0), Parameter.of("c", new float[1], true))));
        assertTrue(e.getMessage().contains("momentum_buffer/c"), e.getMessage());
    }

    @Test
    void momentumSgdSolvesLeastSquares() {
        LeastSquares problem = new LeastSquares(30, 4, 2);
        Parameter x = Parameter.of("x", new float[4], false);
        Sgd opt = new Sgd(new Sgd.Settings(0.9, 0, 0, true));
        for (int t = 0; t < 400; t++) {
            problem.gradient(x.value(), x.grad());
            opt.step(List.of(x), 0.05);
        }
        double[] best = problem.solution();
        for (int i = 0; i < best.length; i++) {
            assertEquals(best[i], x.value()[i], 1e-4, "x[" + i + "]");
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sgd.Settings(0, 0, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new Sgd.Settings(0.9, 0.1, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new Sgd.Settings(-0.1, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Sgd.Settings(0.9, 1.5, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(Sgd.Settings.PLAIN).step(List.of(), -1));
    }
}
