package dev.jllm.core.autograd;

import static dev.jllm.core.autograd.VectorMath.F;
import static dev.jllm.core.autograd.VectorMath.L;

import dev.jllm.core.ops.LayerNorm;
import dev.jllm.core.ops.RmsNorm;
import jdk.incubator.vector.FloatVector;

/**
 * Per-row normalisations with a learned gain: RMSNorm (LLaMA) and LayerNorm (GPT-2). The
 * backward recomputes each row's statistics from x rather than saving them; the gain's and bias's
 * gradients are sums over rows taken by tasks that own column blocks, in order of rows, so they
 * are the same at any thread count.
 */
public final class Norms {
    /** Columns per task of the gain's gradient. */
    private static final int COLUMN_BLOCK = 64;

    private Norms() {
    }

    /** dst[d + i] += s·a[o + i]·b[o + i]. */
    private static void scaledProductInto(float s, float[] a, float[] b, int o, float[] dst, int d, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, a, o + i).mul(s).fma(FloatVector.fromArray(F, b, o + i),
                    FloatVector.fromArray(F, dst, d + i)).intoArray(dst, d + i);
        }
        for (; i < len; i++) {
            dst[d + i] = Math.fma(a[o + i] * s, b[o + i], dst[d + i]);
        }
    }

    /**
     * {@code y = x / sqrt(mean(x²) + eps) · weight} over each row of x.
     *
     * @throws IllegalArgumentException if weight is not one row of x
     */
    public static Variable rmsNorm(Tape tape, Variable x, Variable weight, float eps) {
        int d = checkRow("rmsNorm", x, weight);
        int n = x.rows();
        boolean grad = tape.needsGrad(x, weight);
        Variable y = tape.output(grad, x.shape());
        float[] xv = x.value();
        float[] w = weight.value();
        float[] yv = y.value();
        tape.parallel(n, d, (from, to) -> {
            for (int r = from; r < to; r++) {
                RmsNorm.apply(yv, r * d, xv, r * d, w, 0, d, eps);
            }
        });
        if (!grad) {
            return y;
        }
        tape.record(() -> {
            float[] gy = y.grad();
            if (gy == null) {
                return;
            }
            // per row: rstd r = (mean(x²) + eps)^(−1/2); dx = r·(w∘g) − x·r³·Σ(w∘g∘x)/d; dw += g∘x·r
            float[] rstd = tape.scratch(n);
            boolean needX = x.requiresGrad();
            float[] gx = needX ? tape.gradOf(x) : null;
            tape.parallel(n, 2 * d, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int o = r * d;
                    float ms = VectorMath.dot(xv, o, xv, o, d) / d;
                    float s = (float) (1.0 / Math.sqrt(ms + eps));
                    rstd[r] = s;
                    if (needX) {
                        float proj = weightedDot(w, gy, xv, o, d);
                        rmsRowBackward(w, gy, xv, gx, o, d, s, -s * s * s * proj / d);
                    }
                }
            });
            if (weight.requiresGrad()) {
                float[] gw = tape.gradOf(weight);
                // dw[c] += Σ_r g[r][c]·x[r][c]·rstd[r], in order of rows by tasks owning column blocks
                int blocks = (d + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
                tape.parallel(blocks, n * COLUMN_BLOCK, (from, to) -> {
                    int c0 = from * COLUMN_BLOCK;
                    int len = Math.min(d, to * COLUMN_BLOCK) - c0;
                    for (int r = 0; r < n; r++) {
                        scaledProductInto(rstd[r], gy, xv, r * d + c0, gw, c0, len);
                    }
                });
            }
        });
        return y;
    }

    /**
     * {@code y = (x − mean) / sqrt(var + eps) · weight + bias} over each row of x, the variance
     * biased (over d).
     *
     * @param bias the bias, or null for none
     * @throws IllegalArgumentException if weight or bias is not one row of x
     */
    public static Variable layerNorm(Tape tape, Variable x, Variable weight, Variable bias, float eps) {
        int d = checkRow("layerNorm", x, weight);
        if (bias != null) {
            checkRow("layerNorm", x, bias);
        }
        int n = x.rows();
        boolean grad = tape.needsGrad(x, weight, bias);
        Variable y = tape.output(grad, x.shape());
        float[] xv = x.value();
        float[] w = weight.value();
        float[] b = bias == null ? null : bias.value();
        float[] yv = y.value();
        tape.parallel(n, d, (from, to) -> {
            for (int r = from; r < to; r++) {
                LayerNorm.apply(yv, r * d, xv, r * d, w, 0, b, 0, d, eps);
            }
        });
        if (!grad) {
            return y;
        }
        tape.record(() -> {
            float[] gy = y.grad();
            if (gy == null) {
                return;
            }
            // x̂ = (x − μ)·r; with ĝ = w∘g: dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)); dw += g∘x̂; db += g
            boolean needX = x.requiresGrad();
            float[] gx = needX ? tape.gradOf(x) : null;
            float[] xhat = tape.scratch(n * d);
            tape.parallel(n, 3 * d, (from, to) -> {
                float[] wg = new float[d];
                for (int r = from; r < to; r++) {
                    int o = r * d;
                    float mean = VectorMath.sum(xv, o, d) / d;
                    for (int i = 0; i < d; i++) {
                        xhat[o + i] = xv[o + i] - mean;
                    }
                    float var = VectorMath.dot(xhat, o, xhat, o, d) / d;
                    float s = (float) (1.0 / Math.sqrt(var + eps));
                    dev.jllm.core.ops.Elementwise.scale(xhat, o, xhat, o, s, d);
                    if (needX) {
                        java.util.Arrays.fill(wg, 0f);
                        VectorMath.mulAddInto(w, 0, gy, o, wg, 0, d);
                        float meanG = VectorMath.sum(wg, 0, d) / d;
                        float meanGx = VectorMath.dot(wg, 0, xhat, o, d) / d;
                        // gx += s·wg − s·meanG − s·meanGx·x̂
                        VectorMath.scaleAddInto(s, wg, 0, gx, o, d);
                        VectorMath.scaleAddInto(-s * meanGx, xhat, o, gx, o, d);
                        float shift = -s * meanG;
                        for (int i = 0; i < d; i++) {
                            gx[o + i] += shift;
                        }
                    }
                }
            });
            if (weight.requiresGrad()) {
                Arithmetic.columnSums(tape, gy, xhat, n, d, tape.gradOf(weight));
            }
            if (bias != null && bias.requiresGrad()) {
                Arithmetic.columnSums(tape, gy, null, n, d, tape.gradOf(bias));
            }
        });
        return y;
    }

    /** Σ w[i]·g[o + i]·x[o + i]. */
    private static float weightedDot(float[] w, float[] g, float[] x, int o, int d) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(d); i < bound; i += L) {
            acc = FloatVector.fromArray(F, w, i).mul(FloatVector.fromArray(F, g, o + i))
                    .fma(FloatVector.fromArray(F, x, o + i), acc);
        }
        float sum = dev.jllm.core.ops.LaneSum.of(acc);
        for (; i < d; i++) {
            sum += w[i] * g[o + i] * x[o + i];
        }
        return sum;
    }

    /** gx[o + i] += s·w[i]·g[o + i] + c·x[o + i]. */
    private static void rmsRowBackward(float[] w, float[] g, float[] x, float[] gx, int o, int d, float s, float c) {
        int i = 0;
        for (int bound = F.loopBound(d); i < bound; i += L) {
            FloatVector t = FloatVector.fromArray(F, w, i).mul(FloatVector.fromArray(F, g, o + i)).mul(s);
            FloatVector.fromArray(F, x, o + i).fma(FloatVector.broadcast(F, c), t)
                    .add(FloatVector.fromArray(F, gx, o + i)).intoArray(gx, o + i);
        }
        for (; i < d; i++) {
            gx[o + i] += s * w[i] * g[o + i] + c * x[o + i];
        }
    }

    private static int checkRow(String op, Variable x, Variable v) {
        if (x.rank() == 0 || v.size() != x.cols() || v.cols() != v.size()) {
            throw new IllegalArgumentException(op + " of " + x + " needs a vector of " + x.cols() + ", got " + v);
        }
        return x.cols();
    }
}
