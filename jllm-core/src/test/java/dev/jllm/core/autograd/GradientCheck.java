package dev.jllm.core.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import java.util.Random;

/**
 * Holds an op (or a graph of ops) to its double-precision reference: forward values, and analytic
 * gradients of L = Σ R∘y (R random, fixed) against central differences of the same L computed
 * on the double reference, where the difference noise is about 1e-10 and negligible.
 *
 * <p>Tolerances. Float32 forwards and backwards round at ε ≈ 6e-8 per operation; over sums of up
 * to a few thousand terms, errors reach about 1e-5 of the largest terms. Gradients are held to
 * |analytic − fd| ≤ 1e-3·|fd| + 1e-5·max|fd| + 1e-6 (the other terms because an element whose
 * true gradient nearly cancels, or is exactly 0, keeps the absolute error of its terms), values to
 * |float − double| ≤ 1e-4·|e| + 1e-5·max|e|. A wrong formula (a missing term, a sign, a factor)
 * misses by the size of the gradient itself, a hundred times more.
 */
final class GradientCheck {
    static final double GRAD_REL = 1e-3;
    static final double GRAD_ABS = 1e-5;
    /** Inputs and R are O(1), so gradient terms are too: rounding leaves ~1e-7 where the truth is 0. */
    static final double GRAD_FLOOR = 1e-6;
    static final double VALUE_REL = 1e-4;
    static final double VALUE_ABS = 1e-5;
    /** Central-difference step, in double. */
    static final double STEP = 1e-5;

    /** A graph of float ops on the given inputs. */
    @FunctionalInterface
    interface FloatGraph {
        Variable build(Tape tape, Variable[] inputs);
    }

    /** The same graph in double precision. */
    @FunctionalInterface
    interface DoubleGraph {
        double[] apply(double[][] inputs);
    }

    private GradientCheck() {
    }

    static float[] gaussian(Random rnd, int n, double sigma) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * sigma);
        }
        return a;
    }

    static Variable param(Random rnd, double sigma, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return Variable.parameter(gaussian(rnd, n, sigma), shape);
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /**
     * Checks values and gradients of every input that requires one, on {@code pool}, then runs
     * again on a one-thread pool and requires bit-identical values and gradients.
     *
     * @param samples elements per input checked by differences at most (all when the input is smaller)
     * @return the largest gradient error seen, in units of the tolerance
     */
    static double check(WorkerPool pool, String name, Variable[] inputs, FloatGraph graph, DoubleGraph reference,
            int samples, long seed) {
        Random rnd = new Random(seed);
        double[][] din = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            din[i] = toDouble(inputs[i].value());
        }
        double[] expected = reference.apply(din);
        Result first = run(pool, inputs, graph, null);
        assertEquals(expected.length, first.value.length, name + ": output size");
        double maxAbs = 0;
        for (double e : expected) {
            maxAbs = Math.max(maxAbs, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            double tol = VALUE_REL * Math.abs(expected[i]) + VALUE_ABS * maxAbs + 1e-30;
            if (!(Math.abs(first.value[i] - expected[i]) <= tol)) {
                throw new AssertionError(name + ": value " + i + " is " + first.value[i] + ", expected " + expected[i]);
            }
        }
        float[] r = first.value.length == 1 ? new float[] {1f} : gaussian(rnd, first.value.length, 1);
        Result analytic = run(pool, inputs, graph, r);
        double worst = 0;
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad()) {
                continue;
            }
            float[] g = analytic.grads[i];
            assertTrue(g != null, name + ": input " + i + " got no gradient");
            int[] elements = sample(rnd, din[i].length, samples);
            double[] fd = new double[elements.length];
            double maxFd = 0;
            for (int s = 0; s < elements.length; s++) {
                fd[s] = difference(reference, din, i, elements[s], r);
                maxFd = Math.max(maxFd, Math.abs(fd[s]));
            }
            for (int s = 0; s < elements.length; s++) {
                int e = elements[s];
                double tol = GRAD_REL * Math.abs(fd[s]) + GRAD_ABS * maxFd + GRAD_FLOOR;
                double err = Math.abs(g[e] - fd[s]);
                worst = Math.max(worst, err / tol);
                if (!(err <= tol)) {
                    throw new AssertionError(name + ": d/d input " + i + "[" + e + "] is " + g[e]
                            + ", finite differences give " + fd[s] + " (max |fd| " + maxFd + ")");
                }
            }
        }
        try (WorkerPool one = new WorkerPool(1)) {
            Result serial = run(one, inputs, graph, r);
            assertArrayEquals(analytic.value, serial.value, name + ": values differ between thread counts");
            for (int i = 0; i < inputs.length; i++) {
                assertArrayEquals(analytic.grads[i], serial.grads[i], name + ": gradients of input " + i
                        + " differ between thread counts");
            }
        }
        System.out.printf("%s: worst gradient error %.3f of tolerance%n", name, worst);
        return worst;
    }

    /** Output values and input gradients of one run (no backward when {@code r} is null). */
    record Result(float[] value, float[][] grads) {
    }

    static Result run(WorkerPool pool, Variable[] inputs, FloatGraph graph, float[] r) {
        for (Variable v : inputs) {
            v.zeroGrad();
        }
        Tape tape = new Tape(pool);
        Variable y = graph.build(tape, inputs);
        float[] value = y.value().clone();
        float[][] grads = new float[inputs.length][];
        if (r != null) {
            if (r.length == 1 && y.size() == 1) {
                tape.backward(y);
            } else {
                tape.backward(y, r);
            }
            for (int i = 0; i < inputs.length; i++) {
                grads[i] = inputs[i].grad() == null ? null : inputs[i].grad().clone();
            }
        }
        tape.clear();
        return new Result(value, grads);
    }

    /** dL/dx[input][element] by central differences of L = Σ r∘reference(x). */
    static double difference(DoubleGraph reference, double[][] x, int input, int element, float[] r) {
        double saved = x[input][element];
        double h = STEP * Math.max(1, Math.abs(saved));
        x[input][element] = saved + h;
        double plus = project(reference.apply(x), r);
        x[input][element] = saved - h;
        double minus = project(reference.apply(x), r);
        x[input][element] = saved;
        return (plus - minus) / (2 * h);
    }

    private static double project(double[] y, float[] r) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += r[i] * y[i];
        }
        return s;
    }

    private static int[] sample(Random rnd, int n, int samples) {
        if (n <= samples) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] picked = new int[samples];
        for (int s = 0; s < samples; s++) {
            picked[s] = rnd.nextInt(n);
        }
        return picked;
    }
}
