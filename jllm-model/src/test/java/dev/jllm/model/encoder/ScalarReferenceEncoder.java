package dev.jllm.model.encoder;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgufFile;

/**
 * A plain, double-precision BERT forward over a GGUF file, written from the HF BertModel definition and
 * reading tensors by their llama.cpp names: the oracle for {@link Encoder}. It takes a padded row with
 * an attention mask as HF does (every position is computed; masked keys get an additive -1e30 before the
 * softmax) and shares nothing with the code under test but the reference dequantizers and the GGUF reader.
 */
final class ScalarReferenceEncoder {
    private final GgufFile file;
    private final int dim;
    private final int layers;
    private final int heads;
    private final double eps;
    private final java.util.Map<String, double[][]> matrices = new java.util.HashMap<>();

    ScalarReferenceEncoder(GgufFile file) throws Exception {
        this.file = file;
        this.dim = (int) file.getLong("bert.embedding_length");
        this.layers = (int) file.getLong("bert.block_count");
        this.heads = (int) file.getLong("bert.attention.head_count");
        this.eps = file.getDouble("bert.attention.layer_norm_epsilon");
    }

    /** Hidden states [position][dim] of one padded row: ids, token types and mask (1 real, 0 padding). */
    double[][] hidden(int[] ids, int[] types, int[] mask) {
        int n = ids.length;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            x[t] = row("token_embd.weight", ids[t]);
            add(x[t], row("position_embd.weight", t));
            add(x[t], row("token_types.weight", types[t]));
            x[t] = layerNorm(x[t], "token_embd_norm");
        }
        int headDim = dim / heads;
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                q[t] = linear(b + "attn_q", x[t]);
                k[t] = linear(b + "attn_k", x[t]);
                v[t] = linear(b + "attn_v", x[t]);
            }
            double[][] context = new double[n][dim];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    double[] s = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double dot = 0;
                        for (int c = 0; c < headDim; c++) {
                            dot += q[i][h * headDim + c] * k[j][h * headDim + c];
                        }
                        s[j] = dot / Math.sqrt(headDim) + (mask[j] != 0 ? 0 : -1e30);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < n; j++) {
                        for (int c = 0; c < headDim; c++) {
                            context[i][h * headDim + c] += s[j] / sum * v[j][h * headDim + c];
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                double[] attn = linear(b + "attn_output", context[t]);
                add(attn, x[t]);
                x[t] = layerNorm(attn, b + "attn_output_norm");
                double[] up = linear(b + "ffn_up", x[t]);
                for (int i = 0; i < up.length; i++) {
                    up[i] = 0.5 * up[i] * (1 + erf(up[i] / Math.sqrt(2)));
                }
                double[] down = linear(b + "ffn_down", up);
                add(down, x[t]);
                x[t] = layerNorm(down, b + "layer_output_norm");
            }
        }
        return x;
    }

    /** erf by its Taylor series below 3 and by the continued fraction of erfc above (both far below 1e-12 off). */
    static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 3) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(a) = exp(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated from the tail
            double f = a;
            for (int k = 80; k >= 1; k--) {
                f = a + (k / 2.0) / f;
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    private double[] layerNorm(double[] x, String name) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double[] w = row(name + ".weight", 0);
        double[] bias = row(name + ".bias", 0);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean) / Math.sqrt(var + eps) * w[i] + bias[i];
        }
        return out;
    }

    private double[] linear(String name, double[] x) {
        double[][] weights = matrix(name + ".weight");
        int rows = weights.length;
        double[] y = row(name + ".bias", 0);
        for (int r = 0; r < rows; r++) {
            double[] wr = weights[r];
            double acc = 0;
            for (int c = 0; c < wr.length; c++) {
                acc += wr[c] * x[c];
            }
            y[r] += acc;
        }
        return y;
    }

    private double[] row(String name, int r) {
        return matrix(name)[r].clone();
    }

    /** Every row of a tensor in double, read once. */
    private double[][] matrix(String name) {
        return matrices.computeIfAbsent(name, this::read);
    }

    private double[][] read(String name) {
        Tensor w = file.tensor(name);
        double[][] m = new double[(int) w.rows()][];
        for (int r = 0; r < m.length; r++) {
            m[r] = readRow(w, r);
        }
        return m;
    }

    private static double[] readRow(Tensor w, int r) {
        float[] f = new float[(int) w.cols()];
        WeightKernels.reference(w.type()).dequantize(w.data(), r * w.rowBytes(), f, 0, f.length);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
