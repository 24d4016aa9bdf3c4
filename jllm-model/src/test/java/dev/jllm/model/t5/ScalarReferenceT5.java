package dev.jllm.model.t5;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgufFile;
import java.util.HashMap;
import java.util.Map;

/**
 * A plain, double-precision T5 forward over a GGUF file, written from the T5 paper and HF's
 * {@code modeling_t5} semantics and reading tensors by their llama.cpp names: the oracle for {@link T5Model}.
 * It shares nothing with the code under test but the GGUF reader and the scalar reference dequantizers. Every step is spelled out on nested
 * arrays: RMS norm without mean or bias, attention without 1/√d, the bucketed relative position bias of
 * each stack's first block added in every block, ReLU or gated tanh-GELU networks, and a tied head that
 * sees the decoder output times {@code d_model^-0.5}.
 */
final class ScalarReferenceT5 {
    private final GgufFile file;
    private final int dim;
    private final int heads;
    private final int headDim;
    private final int layers;
    private final int decoderLayers;
    private final int buckets;
    private final double eps;
    private final boolean gated;
    private final boolean tied;
    private final Map<String, double[][]> matrices = new HashMap<>();

    ScalarReferenceT5(GgufFile file) throws Exception {
        this.file = file;
        this.dim = (int) file.getLong("t5.embedding_length");
        this.heads = (int) file.getLong("t5.attention.head_count");
        this.headDim = (int) file.getLong("t5.attention.key_length", dim / heads);
        this.layers = (int) file.getLong("t5.block_count");
        this.decoderLayers = (int) file.getLong("t5.decoder_block_count", layers);
        this.buckets = (int) file.getLong("t5.attention.relative_buckets_count");
        this.eps = file.getDouble("t5.attention.layer_norm_rms_epsilon");
        this.gated = file.findTensor("enc.blk.0.ffn_gate.weight").isPresent();
        this.tied = file.findTensor("output.weight").isEmpty();
    }

    /** The encoder output (after its final norm), [tokens][dim]. */
    double[][] encode(int[] input) {
        int n = input.length;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            x[t] = matrix("token_embd.weight")[input[t]].clone();
        }
        double[][] bias = matrix("enc.blk.0.attn_rel_b.weight");
        for (int l = 0; l < layers; l++) {
            String b = "enc.blk." + l + ".";
            double[][] h = normAll(x, b + "attn_norm.weight");
            double[][] q = project(b + "attn_q.weight", h);
            double[][] k = project(b + "attn_k.weight", h);
            double[][] v = project(b + "attn_v.weight", h);
            double[][] mixed = new double[n][heads * headDim];
            for (int i = 0; i < n; i++) {
                for (int hd = 0; hd < heads; hd++) {
                    double[] s = new double[n];
                    for (int j = 0; j < n; j++) {
                        s[j] = dot(q[i], k[j], hd) + bias[bucket(j - i, true)][hd];
                    }
                    mix(s, v, hd, mixed[i]);
                }
            }
            addInto(x, project(b + "attn_o.weight", mixed));
            addInto(x, feedForward(b, normAll(x, b + "ffn_norm.weight")));
        }
        return normAll(x, "enc.output_norm.weight");
    }

    /** The logits after each decoder token, [decoder tokens][vocab], for the decoder run over {@code input}. */
    double[][] logits(int[] input, int[] decoderTokens) {
        double[][] enc = encode(input);
        int n = decoderTokens.length;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            x[t] = matrix("token_embd.weight")[decoderTokens[t]].clone();
        }
        double[][] bias = matrix("dec.blk.0.attn_rel_b.weight");
        for (int l = 0; l < decoderLayers; l++) {
            String b = "dec.blk." + l + ".";
            double[][] h = normAll(x, b + "attn_norm.weight");
            double[][] q = project(b + "attn_q.weight", h);
            double[][] k = project(b + "attn_k.weight", h);
            double[][] v = project(b + "attn_v.weight", h);
            double[][] mixed = new double[n][heads * headDim];
            for (int i = 0; i < n; i++) {
                for (int hd = 0; hd < heads; hd++) {
                    double[] s = new double[i + 1];
                    for (int j = 0; j <= i; j++) {
                        s[j] = dot(q[i], k[j], hd) + bias[bucket(j - i, false)][hd];
                    }
                    mix(s, v, hd, mixed[i]);
                }
            }
            addInto(x, project(b + "attn_o.weight", mixed));

            h = normAll(x, b + "cross_attn_norm.weight");
            q = project(b + "cross_attn_q.weight", h);
            k = project(b + "cross_attn_k.weight", enc);
            v = project(b + "cross_attn_v.weight", enc);
            mixed = new double[n][heads * headDim];
            for (int i = 0; i < n; i++) {
                for (int hd = 0; hd < heads; hd++) {
                    double[] s = new double[enc.length];
                    for (int j = 0; j < enc.length; j++) {
                        s[j] = dot(q[i], k[j], hd);
                    }
                    mix(s, v, hd, mixed[i]);
                }
            }
            addInto(x, project(b + "cross_attn_o.weight", mixed));
            addInto(x, feedForward(b, normAll(x, b + "ffn_norm.weight")));
        }
        double[][] out = normAll(x, "dec.output_norm.weight");
        if (tied) {
            for (double[] row : out) {
                for (int i = 0; i < dim; i++) {
                    row[i] /= Math.sqrt(dim);
                }
            }
        }
        return project(tied ? "token_embd.weight" : "output.weight", out);
    }

    /** T5's bucket of a key at {@code rel = key − query}, as in the paper's code. */
    private int bucket(int rel, boolean bidirectional) {
        int nb = buckets;
        int offset = 0;
        int distance;
        if (bidirectional) {
            nb /= 2;
            offset = rel > 0 ? nb : 0;
            distance = Math.abs(rel);
        } else {
            distance = rel < 0 ? -rel : 0;
        }
        int exact = nb / 2;
        if (distance < exact) {
            return offset + distance;
        }
        double logScaled = Math.log(distance / (double) exact) / Math.log(128.0 / exact) * (nb - exact);
        return offset + Math.min(nb - 1, exact + (int) Math.floor(logScaled));
    }

    private double[][] feedForward(String b, double[][] h) {
        double[][] up = project(b + "ffn_up.weight", h);
        if (gated) {
            double[][] gate = project(b + "ffn_gate.weight", h);
            for (int t = 0; t < up.length; t++) {
                for (int i = 0; i < up[t].length; i++) {
                    double g = gate[t][i];
                    double gelu = 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)));
                    up[t][i] *= gelu;
                }
            }
        } else {
            for (double[] row : up) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = row[i] > 0 ? row[i] : 0;
                }
            }
        }
        return project(b + "ffn_down.weight", up);
    }

    private double dot(double[] q, double[] k, int head) {
        double s = 0;
        for (int d = 0; d < headDim; d++) {
            s += q[head * headDim + d] * k[head * headDim + d];
        }
        return s;
    }

    /** Softmax of the scores, then the weighted sum of the head's values into {@code out}. */
    private void mix(double[] scores, double[][] v, int head, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int j = 0; j < scores.length; j++) {
            scores[j] = Math.exp(scores[j] - max);
            sum += scores[j];
        }
        for (int j = 0; j < scores.length; j++) {
            for (int d = 0; d < headDim; d++) {
                out[head * headDim + d] += scores[j] / sum * v[j][head * headDim + d];
            }
        }
    }

    private double[][] normAll(double[][] x, String weight) {
        double[] w = matrix(weight)[0];
        double[][] out = new double[x.length][dim];
        for (int t = 0; t < x.length; t++) {
            double ms = 0;
            for (double v : x[t]) {
                ms += v * v;
            }
            double scale = 1 / Math.sqrt(ms / dim + eps);
            for (int i = 0; i < dim; i++) {
                out[t][i] = x[t][i] * scale * w[i];
            }
        }
        return out;
    }

    private static void addInto(double[][] x, double[][] y) {
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < x[t].length; i++) {
                x[t][i] += y[t][i];
            }
        }
    }

    /** {@code x·Wᵀ} for each row of x, W being {@code [out, in]}. */
    private double[][] project(String name, double[][] x) {
        double[][] w = matrix(name);
        double[][] y = new double[x.length][w.length];
        for (int t = 0; t < x.length; t++) {
            for (int r = 0; r < w.length; r++) {
                double s = 0;
                for (int c = 0; c < w[r].length; c++) {
                    s += w[r][c] * x[t][c];
                }
                y[t][r] = s;
            }
        }
        return y;
    }

    /** A tensor as rows (a vector is one row), dequantized by the scalar reference kernels. */
    private double[][] matrix(String name) {
        return matrices.computeIfAbsent(name, n -> {
            Tensor t = file.tensor(n);
            long[] shape = t.shape();
            int cols = (int) shape[shape.length - 1];
            int rows = (int) (t.elements() / cols);
            double[][] m = new double[rows][cols];
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                WeightKernels.reference(t.type()).dequantize(t.data(), r * t.rowBytes(), row, 0, cols);
                for (int c = 0; c < cols; c++) {
                    m[r][c] = row[c];
                }
            }
            return m;
        });
    }
}
