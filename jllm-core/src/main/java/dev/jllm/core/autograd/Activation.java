package dev.jllm.core.autograd;

import dev.jllm.core.ops.VectorExp;
import static dev.jllm.core.autograd.VectorMath.F;
import static dev.jllm.core.autograd.VectorMath.L;

import dev.jllm.core.ops.Activations;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Non-linearities: SiLU, GELU (GPT-2's tanh approximation), SwiGLU and the row softmax, their
 * forwards from {@link Activations} and {@link dev.jllm.core.ops.Softmax}, their backwards
 * vectorised here from the saved input (or, for softmax, output).
 */
public final class Activation {
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float GELU_CUBIC = 0.044715f;

    private Activation() {
    }

    /** {@code silu(x) = x·σ(x)}, element-wise. */
    public static Variable silu(Tape tape, Variable x) {
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, x.shape());
        float[] xv = x.value();
        float[] yv = y.value();
        Arithmetic.chunks(tape, x.size(), (from, to) -> Activations.silu(yv, from, xv, from, to - from));
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy != null) {
                    float[] gx = tape.gradOf(x);
                    Arithmetic.chunks(tape, x.size(), (from, to) -> siluBackward(xv, gy, gx, from, to));
                }
            });
        }
        return y;
    }

    /** GELU with the tanh approximation, {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}, as GPT-2. */
    public static Variable gelu(Tape tape, Variable x) {
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, x.shape());
        float[] xv = x.value();
        float[] yv = y.value();
        Arithmetic.chunks(tape, x.size(), (from, to) -> Activations.geluTanh(yv, from, xv, from, to - from));
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy != null) {
                    float[] gx = tape.gradOf(x);
                    Arithmetic.chunks(tape, x.size(), (from, to) -> geluBackward(xv, gy, gx, from, to));
                }
            });
        }
        return y;
    }

    /**
     * {@code silu(gate) ∘ up}, LLaMA's gated MLP unit.
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public static Variable swiglu(Tape tape, Variable gate, Variable up) {
        if (!java.util.Arrays.equals(gate.shape(), up.shape())) {
            throw new IllegalArgumentException("swiglu of " + gate + " and " + up + ": shapes differ");
        }
        boolean grad = tape.needsGrad(gate, up);
        Variable y = tape.output(grad, gate.shape());
        float[] g = gate.value();
        float[] u = up.value();
        float[] yv = y.value();
        Arithmetic.chunks(tape, y.size(), (from, to) -> Activations.swiglu(yv, from, g, from, u, from, to - from));
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy == null) {
                    return;
                }
                float[] gg = gate.requiresGrad() ? tape.gradOf(gate) : null;
                float[] gu = up.requiresGrad() ? tape.gradOf(up) : null;
                Arithmetic.chunks(tape, y.size(), (from, to) -> swigluBackward(g, u, gy, gg, gu, from, to));
            });
        }
        return y;
    }

    /** Softmax over each row; backward dx = y ∘ (dy − Σ dy∘y). */
    public static Variable softmax(Tape tape, Variable x) {
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, x.shape());
        int n = x.rows();
        int d = x.cols();
        float[] yv = y.value();
        System.arraycopy(x.value(), 0, yv, 0, x.size());
        if (d > 0) {
            tape.parallel(n, d, (from, to) -> {
                for (int r = from; r < to; r++) {
                    dev.jllm.core.ops.Softmax.apply(yv, r * d, d);
                }
            });
        }
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy == null) {
                    return;
                }
                float[] gx = tape.gradOf(x);
                tape.parallel(n, 2 * d, (from, to) -> {
                    for (int r = from; r < to; r++) {
                        int o = r * d;
                        float dot = VectorMath.dot(gy, o, yv, o, d);
                        softmaxRowBackward(yv, gy, gx, o, d, dot);
                    }
                });
            });
        }
        return y;
    }

    /** gx[o + i] += y[o + i]·(gy[o + i] − dot): the softmax Jacobian applied to one row. */
    static void softmaxRowBackward(float[] y, float[] gy, float[] gx, int o, int d, float dot) {
        int i = 0;
        for (int bound = F.loopBound(d); i < bound; i += L) {
            FloatVector yv = FloatVector.fromArray(F, y, o + i);
            FloatVector.fromArray(F, gy, o + i).sub(dot).fma(yv, FloatVector.fromArray(F, gx, o + i))
                    .intoArray(gx, o + i);
        }
        for (; i < d; i++) {
            gx[o + i] = Math.fma(gy[o + i] - dot, y[o + i], gx[o + i]);
        }
    }

    private static void siluBackward(float[] x, float[] gy, float[] gx, int from, int to) {
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector s = one().div(VectorExp.exp(v.neg()).add(1f));
            // silu'(x) = s·(1 + x·(1 − s))
            FloatVector ds = s.mul(v.mul(s.neg().add(1f)).add(1f));
            FloatVector.fromArray(F, gy, i).fma(ds, FloatVector.fromArray(F, gx, i)).intoArray(gx, i);
        }
        for (; i < to; i++) {
            gx[i] = Math.fma(gy[i], siluDerivative(x[i]), gx[i]);
        }
    }

    private static void geluBackward(float[] x, float[] gy, float[] gx, int from, int to) {
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector v2 = v.mul(v);
            // y = x·σ(2u), u = c·(x + a·x³): y' = σ + x·σ·(1 − σ)·2c·(1 + 3a·x²)
            FloatVector twoU = v2.mul(GELU_CUBIC).add(1f).mul(v).mul(2 * SQRT_2_OVER_PI);
            FloatVector s = one().div(VectorExp.exp(twoU.neg()).add(1f));
            FloatVector du = v2.mul(3 * GELU_CUBIC).add(1f).mul(2 * SQRT_2_OVER_PI);
            FloatVector d = v.mul(s).mul(s.neg().add(1f)).mul(du).add(s);
            FloatVector.fromArray(F, gy, i).fma(d, FloatVector.fromArray(F, gx, i)).intoArray(gx, i);
        }
        for (; i < to; i++) {
            gx[i] = Math.fma(gy[i], geluDerivative(x[i]), gx[i]);
        }
    }

    private static void swigluBackward(float[] g, float[] u, float[] gy, float[] gg, float[] gu, int from, int to) {
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, g, i);
            FloatVector s = one().div(VectorExp.exp(v.neg()).add(1f));
            FloatVector dy = FloatVector.fromArray(F, gy, i);
            if (gg != null) {
                FloatVector ds = s.mul(v.mul(s.neg().add(1f)).add(1f));
                dy.mul(FloatVector.fromArray(F, u, i)).fma(ds, FloatVector.fromArray(F, gg, i)).intoArray(gg, i);
            }
            if (gu != null) {
                dy.fma(v.mul(s), FloatVector.fromArray(F, gu, i)).intoArray(gu, i);
            }
        }
        for (; i < to; i++) {
            float s = sigmoid(g[i]);
            if (gg != null) {
                gg[i] = Math.fma(gy[i] * u[i], siluDerivative(g[i]), gg[i]);
            }
            if (gu != null) {
                gu[i] = Math.fma(gy[i], g[i] * s, gu[i]);
            }
        }
    }

    private static FloatVector one() {
        return FloatVector.broadcast(F, 1f);
    }

    private static float sigmoid(float x) {
        return 1f / (1f + VectorExp.exp(-x));
    }

    private static float siluDerivative(float x) {
        float s = sigmoid(x);
        return s * (1f + x * (1f - s));
    }

    private static float geluDerivative(float x) {
        float twoU = 2 * SQRT_2_OVER_PI * x * (1f + GELU_CUBIC * x * x);
        float s = sigmoid(twoU);
        return s + x * s * (1f - s) * 2 * SQRT_2_OVER_PI * (1f + 3 * GELU_CUBIC * x * x);
    }
}
