package dev.jllm.core.autograd;

import dev.jllm.core.ops.RopeTable;

/**
 * Plain double-precision forwards of every op, written from the formulas, on row-major arrays:
 * the oracle the float ops' values are held to and the function whose central differences the
 * analytic gradients are held to.
 */
final class DoubleReference {
    private DoubleReference() {
    }

    /** C = op(A)·op(B), A stored [m, k] or [k, m], B stored [k, n] or [n, k]. */
    static double[] matmul(double[] a, double[] b, int m, int n, int k, boolean transA, boolean transB) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[p * m + i] : a[i * k + p];
                    double bv = transB ? b[j * k + p] : b[p * n + j];
                    s += av * bv;
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    /** Y = X·Wᵀ, x [n, k], w [m, k]. */
    static double[] linear(double[] x, double[] w, int n, int k, int m) {
        return matmul(x, w, n, m, k, false, true);
    }

    /** a + b, b the same size or one row broadcast. */
    static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i % b.length];
        }
        return y;
    }

    /** a ∘ b, b the same size or one row broadcast. */
    static double[] mul(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] * b[i % b.length];
        }
        return y;
    }

    static double[] scale(double[] a, double s) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = s * a[i];
        }
        return y;
    }

    static double[] embedding(double[] table, int d, int[] ids) {
        double[] y = new double[ids.length * d];
        for (int t = 0; t < ids.length; t++) {
            System.arraycopy(table, ids[t] * d, y, t * d, d);
        }
        return y;
    }

    static double[] rmsNorm(double[] x, double[] w, int d, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / d; r++) {
            double ss = 0;
            for (int i = 0; i < d; i++) {
                ss += x[r * d + i] * x[r * d + i];
            }
            double inv = 1 / Math.sqrt(ss / d + eps);
            for (int i = 0; i < d; i++) {
                y[r * d + i] = x[r * d + i] * inv * w[i];
            }
        }
        return y;
    }

    static double[] layerNorm(double[] x, double[] w, double[] b, int d, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / d; r++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += x[r * d + i];
            }
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                var += (x[r * d + i] - mean) * (x[r * d + i] - mean);
            }
            var /= d;
            double inv = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < d; i++) {
                y[r * d + i] = (x[r * d + i] - mean) * inv * w[i] + (b == null ? 0 : b[i]);
            }
        }
        return y;
    }

    /** RoPE from its definition: pair (u, v) of pair index i at position p → (u cos − v sin, u sin + v cos). */
    static double[] rope(double[] x, int heads, int headDim, RopeTable table, int[] positions, boolean adjacent) {
        double[] y = x.clone();
        int half = table.rotaryDim() / 2;
        for (int t = 0; t < positions.length; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    int a = adjacent ? base + 2 * i : base + i;
                    int b = adjacent ? base + 2 * i + 1 : base + half + i;
                    double c = table.cos(positions[t], i);
                    double s = table.sin(positions[t], i);
                    y[a] = x[a] * c - x[b] * s;
                    y[b] = x[a] * s + x[b] * c;
                }
            }
        }
        return y;
    }

    /** Causal attention with GQA and a window, by the book: scores, mask, softmax, weighted values. */
    static double[] attention(double[] q, double[] k, double[] v, int n, int heads, int kvHeads, int d, int seqLen,
            int window) {
        double[] o = new double[n * heads * d];
        double scale = 1 / Math.sqrt(d);
        int group = heads / kvHeads;
        for (int b = 0; b < n / seqLen; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                for (int i = 0; i < seqLen; i++) {
                    double[] p = new double[seqLen];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        if (window > 0 && i - j >= window) {
                            continue;
                        }
                        double s = 0;
                        for (int e = 0; e < d; e++) {
                            s += q[((b * seqLen + i) * heads + h) * d + e] * k[((b * seqLen + j) * kvHeads + g) * d + e];
                        }
                        p[j] = s * scale;
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        if (window > 0 && i - j >= window) {
                            p[j] = 0;
                            continue;
                        }
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int e = 0; e < d; e++) {
                            o[((b * seqLen + i) * heads + h) * d + e] += p[j] / sum
                                    * v[((b * seqLen + j) * kvHeads + g) * d + e];
                        }
                    }
                }
            }
        }
        return o;
    }

    static double[] silu(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] / (1 + Math.exp(-x[i]));
        }
        return y;
    }

    /** GELU, tanh form as written in GPT-2. */
    static double[] gelu(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double u = Math.sqrt(2 / Math.PI) * (x[i] + 0.044715 * x[i] * x[i] * x[i]);
            y[i] = 0.5 * x[i] * (1 + Math.tanh(u));
        }
        return y;
    }

    static double[] swiglu(double[] gate, double[] up) {
        double[] s = silu(gate);
        return mul(s, up);
    }

    static double[] softmax(double[] x, int d) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / d; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < d; i++) {
                max = Math.max(max, x[r * d + i]);
            }
            double sum = 0;
            for (int i = 0; i < d; i++) {
                sum += Math.exp(x[r * d + i] - max);
            }
            for (int i = 0; i < d; i++) {
                y[r * d + i] = Math.exp(x[r * d + i] - max) / sum;
            }
        }
        return y;
    }

    /** Mean over non-ignored rows of −log softmax(x)[target]; 0 when all are ignored. */
    static double crossEntropy(double[] logits, int vocab, int[] targets, int ignoreIndex) {
        double sum = 0;
        int count = 0;
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] == ignoreIndex) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) {
                max = Math.max(max, logits[r * vocab + i]);
            }
            double s = 0;
            for (int i = 0; i < vocab; i++) {
                s += Math.exp(logits[r * vocab + i] - max);
            }
            sum += max + Math.log(s) - logits[r * vocab + targets[r]];
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }
}
