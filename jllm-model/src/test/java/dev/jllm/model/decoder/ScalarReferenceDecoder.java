package dev.jllm.model.decoder;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgufFile;

/**
 * A plain, double-precision forward pass over a GGUF decoder file, written from the families'
 * definitions and reading tensors by their llama.cpp names: the oracle for {@link Decoder}. It shares
 * nothing with the code under test but the reference dequantizers and the GGUF reader.
 */
final class ScalarReferenceDecoder {
    private final GgufFile file;
    private final String arch;
    private final int dim;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int vocab;
    private final double eps;
    private final double theta;
    private final int window;

    ScalarReferenceDecoder(GgufFile file) throws Exception {
        this.file = file;
        this.arch = file.getString("general.architecture");
        this.dim = (int) file.getLong(arch + ".embedding_length");
        this.layers = (int) file.getLong(arch + ".block_count");
        this.heads = (int) file.getLong(arch + ".attention.head_count");
        this.kvHeads = (int) file.getLong(arch + ".attention.head_count_kv", heads);
        this.headDim = (int) file.getLong(arch + ".attention.key_length", dim / heads);
        this.vocab = (int) file.tensor("token_embd.weight").rows();
        this.eps = arch.equals("gpt2") ? file.getDouble(arch + ".attention.layer_norm_epsilon")
                : file.getDouble(arch + ".attention.layer_norm_rms_epsilon");
        this.theta = file.has(arch + ".rope.freq_base") ? file.getDouble(arch + ".rope.freq_base") : 10000;
        this.window = (int) file.getLong(arch + ".attention.sliding_window", 0);
    }

    /** Logits of every position for the token sequence, [tokens][vocab]. */
    double[][] logits(int[] tokens) {
        int n = tokens.length;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            x[t] = row("token_embd.weight", tokens[t]);
            if (arch.equals("gpt2")) {
                double[] p = row("position_embd.weight", t);
                for (int i = 0; i < dim; i++) {
                    x[t][i] += p[i];
                }
            }
        }
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = norm(x[t], b + "attn_norm");
                if (has(b + "attn_qkv.weight")) {
                    double[] qkv = linear(b + "attn_qkv", h);
                    q[t] = java.util.Arrays.copyOfRange(qkv, 0, heads * headDim);
                    k[t] = java.util.Arrays.copyOfRange(qkv, heads * headDim, (heads + kvHeads) * headDim);
                    v[t] = java.util.Arrays.copyOfRange(qkv, (heads + kvHeads) * headDim, (heads + 2 * kvHeads) * headDim);
                } else {
                    q[t] = linear(b + "attn_q", h);
                    k[t] = linear(b + "attn_k", h);
                    v[t] = linear(b + "attn_v", h);
                }
                if (has(b + "attn_q_norm.weight")) {
                    headNorm(q[t], heads, vector(b + "attn_q_norm.weight"));
                    headNorm(k[t], kvHeads, vector(b + "attn_k_norm.weight"));
                }
                if (!arch.equals("gpt2")) {
                    rope(q[t], heads, t);
                    rope(k[t], kvHeads, t);
                }
            }
            for (int t = 0; t < n; t++) {
                double[] attended = new double[heads * headDim];
                for (int h = 0; h < heads; h++) {
                    int kvh = h / (heads / kvHeads);
                    int first = window > 0 ? Math.max(0, t - window + 1) : 0;
                    double[] s = new double[t + 1 - first];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int p = first; p <= t; p++) {
                        double dot = 0;
                        for (int i = 0; i < headDim; i++) {
                            dot += q[t][h * headDim + i] * k[p][kvh * headDim + i];
                        }
                        s[p - first] = dot / Math.sqrt(headDim);
                        max = Math.max(max, s[p - first]);
                    }
                    double sum = 0;
                    for (int j = 0; j < s.length; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int p = first; p <= t; p++) {
                        for (int i = 0; i < headDim; i++) {
                            attended[h * headDim + i] += s[p - first] / sum * v[p][kvh * headDim + i];
                        }
                    }
                }
                add(x[t], linear(b + "attn_output", attended));
            }
            for (int t = 0; t < n; t++) {
                double[] h = norm(x[t], b + "ffn_norm");
                double[] hidden;
                if (arch.equals("gpt2")) {
                    hidden = linear(b + "ffn_up", h);
                    for (int i = 0; i < hidden.length; i++) {
                        double u = hidden[i];
                        hidden[i] = 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));
                    }
                } else {
                    double[] gate = linear(b + "ffn_gate", h);
                    double[] up = linear(b + "ffn_up", h);
                    hidden = new double[gate.length];
                    for (int i = 0; i < gate.length; i++) {
                        hidden[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                    }
                }
                add(x[t], linear(b + "ffn_down", hidden));
            }
        }
        double[][] logits = new double[n][];
        String out = has("output.weight") ? "output" : "token_embd";
        for (int t = 0; t < n; t++) {
            logits[t] = linear(out, norm(x[t], "output_norm"));
        }
        return logits;
    }

    private void rope(double[] x, int count, int position) {
        int rotary = (int) file.getLong(arch + ".rope.dimension_count", headDim);
        double[] divisors = has("rope_freqs.weight") ? vector("rope_freqs.weight") : null;
        boolean halves = !arch.equals("llama");
        for (int h = 0; h < count; h++) {
            for (int i = 0; i < rotary / 2; i++) {
                double freq = Math.pow(theta, -2.0 * i / rotary) / (divisors == null ? 1 : divisors[i]);
                double c = Math.cos(position * freq);
                double s = Math.sin(position * freq);
                int a = h * headDim + (halves ? i : 2 * i);
                int b = h * headDim + (halves ? i + rotary / 2 : 2 * i + 1);
                double xa = x[a];
                double xb = x[b];
                x[a] = xa * c - xb * s;
                x[b] = xb * c + xa * s;
            }
        }
    }

    private void headNorm(double[] x, int count, double[] w) {
        for (int h = 0; h < count; h++) {
            double ss = 0;
            for (int i = 0; i < headDim; i++) {
                ss += x[h * headDim + i] * x[h * headDim + i];
            }
            double scale = 1 / Math.sqrt(ss / headDim + eps);
            for (int i = 0; i < headDim; i++) {
                x[h * headDim + i] *= scale * w[i];
            }
        }
    }

    private double[] norm(double[] x, String name) {
        double[] w = vector(name + ".weight");
        double[] out = new double[x.length];
        if (arch.equals("gpt2")) {
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
            double[] bias = vector(name + ".bias");
            for (int i = 0; i < x.length; i++) {
                out[i] = (x[i] - mean) / Math.sqrt(var + eps) * w[i] + bias[i];
            }
        } else {
            double ss = 0;
            for (double v : x) {
                ss += v * v;
            }
            double scale = 1 / Math.sqrt(ss / x.length + eps);
            for (int i = 0; i < x.length; i++) {
                out[i] = x[i] * scale * w[i];
            }
        }
        return out;
    }

    private double[] linear(String name, double[] x) {
        Tensor w = file.tensor(name + ".weight");
        int rows = (int) w.rows();
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double[] wr = row(name + ".weight", r);
            double acc = 0;
            for (int c = 0; c < wr.length; c++) {
                acc += wr[c] * x[c];
            }
            y[r] = acc;
        }
        if (has(name + ".bias")) {
            add(y, vector(name + ".bias"));
        }
        return y;
    }

    private double[] row(String name, int r) {
        Tensor w = file.tensor(name);
        float[] f = new float[(int) w.cols()];
        WeightKernels.reference(w.type()).dequantize(w.data(), r * w.rowBytes(), f, 0, f.length);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private double[] vector(String name) {
        Tensor w = file.tensor(name);
        return row(name, 0).length == w.elements() ? row(name, 0) : null;
    }

    private boolean has(String name) {
        return file.findTensor(name).isPresent();
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    int vocab() {
        return vocab;
    }
}
