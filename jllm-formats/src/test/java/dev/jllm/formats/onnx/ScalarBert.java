package dev.jllm.formats.onnx;

import dev.jllm.formats.safetensors.SafetensorsModel;
import java.lang.foreign.ValueLayout;

/**
 * A plain, loop-by-loop BERT encoder forward over a Hugging Face {@code BertModel} safetensors file (F32), in double
 * precision: the test's independent reading of what the converted weights mean. Masked keys are left out of the
 * softmax, which is what adding a large negative number to their scores amounts to.
 */
final class ScalarBert {
    private final SafetensorsModel st;
    private final int layers;
    private final int heads;
    private final double eps;
    private final boolean tanhGelu;

    ScalarBert(SafetensorsModel st, int layers, int heads, double eps) {
        this(st, layers, heads, eps, false);
    }

    /** @param tanhGelu whether the activation is GELU's tanh approximation (gelu_new) rather than the erf one */
    ScalarBert(SafetensorsModel st, int layers, int heads, double eps, boolean tanhGelu) {
        this.st = st;
        this.layers = layers;
        this.heads = heads;
        this.eps = eps;
        this.tanhGelu = tanhGelu;
    }

    /** The last hidden state, one row per token. */
    float[][] forward(long[] ids, long[] types, long[] mask) {
        float[] words = w("embeddings.word_embeddings.weight");
        float[] pos = w("embeddings.position_embeddings.weight");
        float[] typ = w("embeddings.token_type_embeddings.weight");
        int hidden = (int) st.findTensor("embeddings.word_embeddings.weight").orElseThrow().shape()[1];
        int n = ids.length;
        double[][] x = new double[n][hidden];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < hidden; i++) {
                x[t][i] = words[(int) ids[t] * hidden + i] + pos[t * hidden + i] + typ[(int) types[t] * hidden + i];
            }
        }
        x = norm(x, "embeddings.LayerNorm");
        int d = hidden / heads;
        for (int l = 0; l < layers; l++) {
            String p = "encoder.layer." + l + ".";
            double[][] q = dense(x, p + "attention.self.query");
            double[][] k = dense(x, p + "attention.self.key");
            double[][] v = dense(x, p + "attention.self.value");
            double[][] ctx = new double[n][hidden];
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < n; t++) {
                    double[] s = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u < n; u++) {
                        if (mask[u] == 0) {
                            continue;
                        }
                        for (int i = 0; i < d; i++) {
                            s[u] += q[t][h * d + i] * k[u][h * d + i];
                        }
                        s[u] /= Math.sqrt(d);
                        max = Math.max(max, s[u]);
                    }
                    double sum = 0;
                    for (int u = 0; u < n; u++) {
                        s[u] = mask[u] == 0 ? 0 : Math.exp(s[u] - max);
                        sum += s[u];
                    }
                    for (int u = 0; u < n; u++) {
                        for (int i = 0; i < d; i++) {
                            ctx[t][h * d + i] += s[u] / sum * v[u][h * d + i];
                        }
                    }
                }
            }
            x = norm(add(dense(ctx, p + "attention.output.dense"), x), p + "attention.output.LayerNorm");
            double[][] f = dense(x, p + "intermediate.dense");
            for (double[] row : f) {
                for (int i = 0; i < row.length; i++) {
                    double x0 = row[i];
                    row[i] = tanhGelu ? 0.5 * x0 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x0 + 0.044715 * x0 * x0 * x0)))
                            : 0.5 * x0 * (1 + erf(x0 / Math.sqrt(2)));
                }
            }
            x = norm(add(dense(f, p + "output.dense"), x), p + "output.LayerNorm");
        }
        float[][] out = new float[n][hidden];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < hidden; i++) {
                out[t][i] = (float) x[t][i];
            }
        }
        return out;
    }

    // erf by its Maclaurin series (|x| <= 5; beyond, erf is ±1 to double precision's needs here)
    static double erf(double x) {
        if (Math.abs(x) > 5) {
            return Math.signum(x);
        }
        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    private float[] w(String name) {
        return st.bytes(name).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
    }

    // y = x Wᵀ + b with W stored [out, in] as Hugging Face does
    private double[][] dense(double[][] x, String prefix) {
        float[] wt = w(prefix + ".weight");
        float[] b = w(prefix + ".bias");
        int out = b.length;
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += wt[o * in + i] * x[t][i];
                }
                y[t][o] = s;
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][];
        for (int t = 0; t < a.length; t++) {
            y[t] = new double[a[t].length];
            for (int i = 0; i < a[t].length; i++) {
                y[t][i] = a[t][i] + b[t][i];
            }
        }
        return y;
    }

    private double[][] norm(double[][] x, String prefix) {
        float[] g = w(prefix + ".weight");
        float[] b = w(prefix + ".bias");
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            for (double v : x[t]) {
                mean += v;
            }
            mean /= x[t].length;
            double var = 0;
            for (double v : x[t]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[t].length;
            y[t] = new double[x[t].length];
            for (int i = 0; i < x[t].length; i++) {
                y[t][i] = (x[t][i] - mean) / Math.sqrt(var + eps) * g[i] + b[i];
            }
        }
        return y;
    }
}
