package dev.jllm.core.autograd;

import static dev.jllm.core.autograd.GradientCheck.check;
import static dev.jllm.core.autograd.GradientCheck.gaussian;

import dev.jllm.core.ops.RopeTable;
import dev.jllm.core.parallel.WorkerPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Whole small models built from the ops, held to the same models written in double precision:
 * the loss, and the gradient of a sample of every parameter tensor by central differences.
 */
class ModelGradientTest {
    private static final int VOCAB = 23;
    private static final int DIM = 16;
    private static final int HEADS = 4;
    private static final int HEAD_DIM = DIM / HEADS;
    private static final int LAYERS = 2;
    private static final int SEQ = 7;
    private static final int BATCH = 2;
    private static final int N = SEQ * BATCH;
    private static final float EPS = 1e-5f;
    private static final int IGNORE = -100;
    private static WorkerPool pool;

    @BeforeAll
    static void start() {
        pool = new WorkerPool(3);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    private static int[] ids(Random rnd) {
        int[] ids = new int[N];
        for (int i = 0; i < N; i++) {
            ids[i] = rnd.nextInt(VOCAB);
        }
        return ids;
    }

    private static int[] targets(Random rnd) {
        int[] t = ids(rnd);
        t[3] = IGNORE;
        t[N - 1] = IGNORE;
        return t;
    }

    private static int[] positions() {
        int[] p = new int[N];
        for (int i = 0; i < N; i++) {
            p[i] = i % SEQ;
        }
        return p;
    }

    /** Adds a parameter to the list and returns its index. */
    private static int add(List<Variable> params, Random rnd, double mean, double sigma, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = gaussian(rnd, n, sigma);
        for (int i = 0; i < n; i++) {
            v[i] += (float) mean;
        }
        params.add(Variable.parameter(v, shape));
        return params.size() - 1;
    }

    // ---- LLaMA: RMSNorm, RoPE (adjacent pairs), grouped-query attention, SwiGLU MLP, untied output ----

    private static final int KV_HEADS = 2;
    private static final int HIDDEN = 24;
    private static final int LLAMA_PER_LAYER = 9;

    @Test
    void twoLayerLlama() {
        Random rnd = new Random(61);
        List<Variable> p = new ArrayList<>();
        add(p, rnd, 0, 1, VOCAB, DIM);
        for (int l = 0; l < LAYERS; l++) {
            add(p, rnd, 1, 0.1, DIM);
            add(p, rnd, 0, 0.3, HEADS * HEAD_DIM, DIM);
            add(p, rnd, 0, 0.3, KV_HEADS * HEAD_DIM, DIM);
            add(p, rnd, 0, 0.3, KV_HEADS * HEAD_DIM, DIM);
            add(p, rnd, 0, 0.3, DIM, HEADS * HEAD_DIM);
            add(p, rnd, 1, 0.1, DIM);
            add(p, rnd, 0, 0.3, HIDDEN, DIM);
            add(p, rnd, 0, 0.3, HIDDEN, DIM);
            add(p, rnd, 0, 0.3, DIM, HIDDEN);
        }
        add(p, rnd, 1, 0.1, DIM);
        add(p, rnd, 0, 0.3, VOCAB, DIM);
        int[] ids = ids(rnd);
        int[] targets = targets(rnd);
        int[] pos = positions();
        RopeTable rope = new RopeTable(HEAD_DIM, SEQ, 10000);
        check(pool, "2-layer llama", p.toArray(new Variable[0]),
                (t, in) -> llama(t, in, ids, targets, pos, rope),
                in -> new double[] {llamaReference(in, ids, targets, pos, rope)}, 6, 62);
    }

    private static Variable llama(Tape t, Variable[] w, int[] ids, int[] targets, int[] pos, RopeTable rope) {
        Variable x = Embedding.lookup(t, w[0], ids);
        for (int l = 0; l < LAYERS; l++) {
            int b = 1 + l * LLAMA_PER_LAYER;
            Variable h = Norms.rmsNorm(t, x, w[b], EPS);
            Variable q = RotaryEmbedding.rope(t, Linear.linear(t, h, w[b + 1]), HEADS, HEAD_DIM, rope, pos,
                    RotaryEmbedding.Layout.ADJACENT);
            Variable k = RotaryEmbedding.rope(t, Linear.linear(t, h, w[b + 2]), KV_HEADS, HEAD_DIM, rope, pos,
                    RotaryEmbedding.Layout.ADJACENT);
            Variable v = Linear.linear(t, h, w[b + 3]);
            Variable a = Attention.causal(t, q, k, v, HEADS, KV_HEADS, HEAD_DIM, SEQ, 0);
            x = Arithmetic.add(t, x, Linear.linear(t, a, w[b + 4]));
            h = Norms.rmsNorm(t, x, w[b + 5], EPS);
            Variable m = Activation.swiglu(t, Linear.linear(t, h, w[b + 6]), Linear.linear(t, h, w[b + 7]));
            x = Arithmetic.add(t, x, Linear.linear(t, m, w[b + 8]));
        }
        int f = 1 + LAYERS * LLAMA_PER_LAYER;
        Variable logits = Linear.linear(t, Norms.rmsNorm(t, x, w[f], EPS), w[f + 1]);
        return CrossEntropy.loss(t, logits, targets, IGNORE);
    }

    private static double llamaReference(double[][] w, int[] ids, int[] targets, int[] pos, RopeTable rope) {
        double[] x = DoubleReference.embedding(w[0], DIM, ids);
        int qw = HEADS * HEAD_DIM;
        int kw = KV_HEADS * HEAD_DIM;
        for (int l = 0; l < LAYERS; l++) {
            int b = 1 + l * LLAMA_PER_LAYER;
            double[] h = DoubleReference.rmsNorm(x, w[b], DIM, EPS);
            double[] q = DoubleReference.rope(DoubleReference.linear(h, w[b + 1], N, DIM, qw), HEADS, HEAD_DIM, rope,
                    pos, true);
            double[] k = DoubleReference.rope(DoubleReference.linear(h, w[b + 2], N, DIM, kw), KV_HEADS, HEAD_DIM,
                    rope, pos, true);
            double[] v = DoubleReference.linear(h, w[b + 3], N, DIM, kw);
            double[] a = DoubleReference.attention(q, k, v, N, HEADS, KV_HEADS, HEAD_DIM, SEQ, 0);
            x = DoubleReference.add(x, DoubleReference.linear(a, w[b + 4], N, qw, DIM));
            h = DoubleReference.rmsNorm(x, w[b + 5], DIM, EPS);
            double[] m = DoubleReference.swiglu(DoubleReference.linear(h, w[b + 6], N, DIM, HIDDEN),
                    DoubleReference.linear(h, w[b + 7], N, DIM, HIDDEN));
            x = DoubleReference.add(x, DoubleReference.linear(m, w[b + 8], N, HIDDEN, DIM));
        }
        int f = 1 + LAYERS * LLAMA_PER_LAYER;
        double[] logits = DoubleReference.linear(DoubleReference.rmsNorm(x, w[f], DIM, EPS), w[f + 1], N, DIM, VOCAB);
        return DoubleReference.crossEntropy(logits, VOCAB, targets, IGNORE);
    }

    // ---- GPT-2: LayerNorm, learned positions, biases everywhere, GELU MLP, output tied to the token table ----

    private static final int MLP = 4 * DIM;
    private static final int GPT_PER_LAYER = 16;

    @Test
    void twoLayerGpt2() {
        Random rnd = new Random(71);
        List<Variable> p = new ArrayList<>();
        add(p, rnd, 0, 1, VOCAB, DIM);
        add(p, rnd, 0, 0.5, SEQ, DIM);
        for (int l = 0; l < LAYERS; l++) {
            add(p, rnd, 1, 0.1, DIM);
            add(p, rnd, 0, 0.1, DIM);
            for (int j = 0; j < 4; j++) {
                add(p, rnd, 0, 0.3, DIM, DIM);
                add(p, rnd, 0, 0.1, DIM);
            }
            add(p, rnd, 1, 0.1, DIM);
            add(p, rnd, 0, 0.1, DIM);
            add(p, rnd, 0, 0.3, MLP, DIM);
            add(p, rnd, 0, 0.1, MLP);
            add(p, rnd, 0, 0.2, DIM, MLP);
            add(p, rnd, 0, 0.1, DIM);
        }
        add(p, rnd, 1, 0.1, DIM);
        add(p, rnd, 0, 0.1, DIM);
        int[] ids = ids(rnd);
        int[] targets = targets(rnd);
        int[] pos = positions();
        check(pool, "2-layer gpt2", p.toArray(new Variable[0]), (t, in) -> gpt2(t, in, ids, targets, pos),
                in -> new double[] {gpt2Reference(in, ids, targets, pos)}, 6, 72);
    }

    private static Variable gpt2(Tape t, Variable[] w, int[] ids, int[] targets, int[] pos) {
        Variable x = Arithmetic.add(t, Embedding.lookup(t, w[0], ids), Embedding.lookup(t, w[1], pos));
        for (int l = 0; l < LAYERS; l++) {
            int b = 2 + l * GPT_PER_LAYER;
            Variable h = Norms.layerNorm(t, x, w[b], w[b + 1], EPS);
            Variable q = Arithmetic.add(t, Linear.linear(t, h, w[b + 2]), w[b + 3]);
            Variable k = Arithmetic.add(t, Linear.linear(t, h, w[b + 4]), w[b + 5]);
            Variable v = Arithmetic.add(t, Linear.linear(t, h, w[b + 6]), w[b + 7]);
            Variable a = Attention.causal(t, q, k, v, HEADS, HEADS, HEAD_DIM, SEQ, 0);
            x = Arithmetic.add(t, x, Arithmetic.add(t, Linear.linear(t, a, w[b + 8]), w[b + 9]));
            h = Norms.layerNorm(t, x, w[b + 10], w[b + 11], EPS);
            Variable m = Activation.gelu(t, Arithmetic.add(t, Linear.linear(t, h, w[b + 12]), w[b + 13]));
            x = Arithmetic.add(t, x, Arithmetic.add(t, Linear.linear(t, m, w[b + 14]), w[b + 15]));
        }
        int f = 2 + LAYERS * GPT_PER_LAYER;
        Variable logits = Linear.linear(t, Norms.layerNorm(t, x, w[f], w[f + 1], EPS), w[0]);
        return CrossEntropy.loss(t, logits, targets, IGNORE);
    }

    private static double gpt2Reference(double[][] w, int[] ids, int[] targets, int[] pos) {
        double[] x = DoubleReference.add(DoubleReference.embedding(w[0], DIM, ids),
                DoubleReference.embedding(w[1], DIM, pos));
        for (int l = 0; l < LAYERS; l++) {
            int b = 2 + l * GPT_PER_LAYER;
            double[] h = DoubleReference.layerNorm(x, w[b], w[b + 1], DIM, EPS);
            double[] q = DoubleReference.add(DoubleReference.linear(h, w[b + 2], N, DIM, DIM), w[b + 3]);
            double[] k = DoubleReference.add(DoubleReference.linear(h, w[b + 4], N, DIM, DIM), w[b + 5]);
            double[] v = DoubleReference.add(DoubleReference.linear(h, w[b + 6], N, DIM, DIM), w[b + 7]);
            double[] a = DoubleReference.attention(q, k, v, N, HEADS, HEADS, HEAD_DIM, SEQ, 0);
            x = DoubleReference.add(x, DoubleReference.add(DoubleReference.linear(a, w[b + 8], N, DIM, DIM), w[b + 9]));
            h = DoubleReference.layerNorm(x, w[b + 10], w[b + 11], DIM, EPS);
            double[] m = DoubleReference.gelu(DoubleReference.add(DoubleReference.linear(h, w[b + 12], N, DIM, MLP),
                    w[b + 13]));
            x = DoubleReference.add(x, DoubleReference.add(DoubleReference.linear(m, w[b + 14], N, MLP, DIM),
                    w[b + 15]));
        }
        int f = 2 + LAYERS * GPT_PER_LAYER;
        double[] logits = DoubleReference.linear(DoubleReference.layerNorm(x, w[f], w[f + 1], DIM, EPS), w[0], N, DIM,
                VOCAB);
        return DoubleReference.crossEntropy(logits, VOCAB, targets, IGNORE);
    }
}
