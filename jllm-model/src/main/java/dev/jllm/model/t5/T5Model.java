package dev.jllm.model.t5;

import dev.jllm.core.linalg.MatMul;
import dev.jllm.core.linalg.MatVec;
import dev.jllm.core.linalg.Sgemm;
import dev.jllm.core.ops.Activations;
import dev.jllm.core.ops.Elementwise;
import dev.jllm.core.ops.RmsNorm;
import dev.jllm.core.ops.Softmax;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.model.cache.KvCache;
import java.util.Arrays;

/**
 * The T5 encoder-decoder, read top to bottom. The encoder embeds the input, runs pre-norm blocks of
 * bidirectional self-attention and a feed-forward network, and ends with an RMS norm. The decoder embeds
 * the tokens generated so far, runs pre-norm blocks of causal self-attention (keys and values in a
 * {@link KvCache}), cross-attention over the encoder output (its keys and values computed once per input,
 * in {@link EncodedInput}) and the feed-forward network, then a final norm and the LM head.
 *
 * <p>T5 has no position embeddings: each stack adds a learned bias per head and relative-position bucket
 * to its self-attention scores, from a table in its first block that every block shares. Scores are not
 * divided by √d (T5 folds that into the query weights). Norms are RMS norms without bias or mean. A tied
 * LM head sees the decoder output scaled by {@code dim^-0.5}, as HF's T5 does.
 *
 * <p>Projections run through the shared kernels (GEMV for one token, GEMM for several). An instance keeps
 * scratch buffers, so one instance serves one thread at a time.
 */
public final class T5Model {
    private final T5Config config;
    private final T5Weights weights;
    private final WorkerPool pool;
    private final WeightKernel embeddingKernel;
    private final float headScale;
    private Scratch scratch;

    /**
     * A model over bound weights.
     *
     * @throws IllegalArgumentException if a weight is missing or misshapen (naming it)
     */
    public T5Model(T5Config config, T5Weights weights, WorkerPool pool) {
        T5Shapes.check(config, weights);
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        this.embeddingKernel = WeightKernels.simd(weights.tokenEmbedding().type());
        this.headScale = config.tiedHead() ? (float) (1.0 / Math.sqrt(config.dim())) : 1f;
    }

    /** The model's shape and options. */
    public T5Config config() {
        return config;
    }

    /** The bound weights. */
    public T5Weights weights() {
        return weights;
    }

    /** A decoder self-attention cache of {@code capacity} positions in {@code type}. */
    public KvCache newDecoderCache(DType type, int capacity) {
        return new KvCache(type, config.decoderLayers(), config.kvHeads(), config.headDim(), capacity);
    }

    /**
     * Runs the encoder over {@code tokens}.
     *
     * @return the final-normed encoder output, {@code tokens.length × dim} row-major
     * @throws IllegalArgumentException if there are no tokens or one is outside the vocabulary
     */
    public float[] encode(int[] tokens) {
        int n = tokens.length;
        if (n == 0) {
            throw new IllegalArgumentException("the encoder input is empty");
        }
        int dim = config.dim();
        float[] x = new float[n * dim];
        embed(tokens, 0, n, x);
        Scratch s = scratch(n);
        int[] buckets = new int[2 * n - 1];
        for (int r = -(n - 1); r < n; r++) {
            buckets[r + n - 1] = RelativePositionBuckets.bucket(r, true, config.buckets(), config.maxDistance());
        }
        float[] scores = new float[n * n];
        for (T5Block b : weights.encoder()) {
            norm(x, n, b.attnNorm(), s.h);
            linear(b.wq(), s.h, n, s.q);
            linear(b.wk(), s.h, n, s.k);
            linear(b.wv(), s.h, n, s.v);
            attendAll(n, buckets, s, scores);
            linear(b.wo(), s.attention, n, s.out);
            Elementwise.add(x, 0, x, 0, s.out, 0, n * dim);
            feedForward(b, x, n, s);
        }
        norm(x, n, weights.encoderNorm(), x);
        return x;
    }

    /**
     * Runs the encoder and computes every decoder block's cross-attention keys and values over its output.
     *
     * @param cacheType the element type the cross-attention keys and values are kept in
     * @throws IllegalArgumentException if there are no tokens or one is outside the vocabulary
     */
    public EncodedInput encodeForDecoding(int[] tokens, DType cacheType) {
        float[] out = encode(tokens);
        int n = tokens.length;
        int kvDim = config.kvDim();
        KvCache cross = new KvCache(cacheType, config.decoderLayers(), config.kvHeads(), config.headDim(), n);
        float[] k = new float[n * kvDim];
        float[] v = new float[n * kvDim];
        for (int l = 0; l < config.decoderLayers(); l++) {
            T5Block b = weights.decoder().get(l);
            linear(b.ck(), out, n, k);
            linear(b.cv(), out, n, v);
            for (int t = 0; t < n; t++) {
                cross.store(l, t, k, t * kvDim, v, t * kvDim);
            }
        }
        return new EncodedInput(out, n, cross);
    }

    /**
     * Runs decoder tokens {@code tokens[from .. from+count)} at positions {@code start ..} against an encoded
     * input, storing their self-attention keys and values in {@code cache}, and writes the logits of the
     * last one into {@code logits[0 .. vocab)} (of every one, token t's at {@code t·vocab}, with
     * {@code allLogits}).
     *
     * @throws IllegalArgumentException if a token is outside the vocabulary, the positions exceed the cache,
     *     or the logits buffer is too short
     */
    public void decode(int[] tokens, int from, int count, int start, KvCache cache, EncodedInput input,
            float[] logits, boolean allLogits) {
        if (count <= 0) {
            throw new IllegalArgumentException("decode needs at least one token, got " + count);
        }
        int vocab = config.vocabSize();
        int outputs = allLogits ? count : 1;
        if (logits.length < (long) outputs * vocab) {
            throw new IllegalArgumentException("logits buffer holds " + logits.length + " values, needs "
                    + (long) outputs * vocab);
        }
        int dim = config.dim();
        Scratch s = scratch(count);
        float[] x = s.x;
        embed(tokens, from, count, x);
        int end = start + count;
        int[] buckets = new int[end];
        for (int d = 0; d < end; d++) {
            buckets[d] = RelativePositionBuckets.bucket(-d, false, config.buckets(), config.maxDistance());
        }
        int kvDim = config.kvDim();
        for (int l = 0; l < config.decoderLayers(); l++) {
            T5Block b = weights.decoder().get(l);
            norm(x, count, b.attnNorm(), s.h);
            if (count == 1) {
                // one GEMV dispatch for the three projections of a decoding step
                MatVec.multiply(pool, new Tensor[] {b.wq(), b.wk(), b.wv()}, s.h, new float[][] {s.q, s.k, s.v});
            } else {
                linear(b.wq(), s.h, count, s.q);
                linear(b.wk(), s.h, count, s.k);
                linear(b.wv(), s.h, count, s.v);
            }
            for (int t = 0; t < count; t++) {
                cache.store(l, start + t, s.k, t * kvDim, s.v, t * kvDim);
            }
            attendCached(l, count, start, cache, weights.decoderBias(), buckets, s);
            linear(b.wo(), s.attention, count, s.out);
            Elementwise.add(x, 0, x, 0, s.out, 0, count * dim);

            norm(x, count, b.crossNorm(), s.h);
            linear(b.cq(), s.h, count, s.q);
            attendCached(l, count, -1, input.crossCache(), null, null, s);
            linear(b.co(), s.attention, count, s.out);
            Elementwise.add(x, 0, x, 0, s.out, 0, count * dim);

            feedForward(b, x, count, s);
        }
        int first = allLogits ? 0 : count - 1;
        for (int r = 0; r < outputs; r++) {
            RmsNorm.apply(s.h, r * dim, x, (first + r) * dim, weights.decoderNorm(), 0, dim, config.normEps());
        }
        if (headScale != 1f) {
            Elementwise.scale(s.h, 0, s.h, 0, headScale, outputs * dim);
        }
        linear(weights.output(), s.h, outputs, logits);
    }

    /** Pre-norm feed-forward with its residual: {@code x += down(act(x'))} for n rows. */
    private void feedForward(T5Block b, float[] x, int n, Scratch s) {
        norm(x, n, b.ffnNorm(), s.h);
        int ff = config.ffnDim();
        if (b.gate() != null && n == 1) {
            MatVec.multiply(pool, new Tensor[] {b.gate(), b.up()}, s.h, new float[][] {s.gate, s.up});
        } else {
            linear(b.up(), s.h, n, s.up);
            if (b.gate() != null) {
                linear(b.gate(), s.h, n, s.gate);
            }
        }
        if (b.gate() != null) {
            Activations.geluTanh(s.gate, 0, s.gate, 0, n * ff);
            Elementwise.mul(s.up, 0, s.up, 0, s.gate, 0, n * ff);
        } else {
            for (int i = 0; i < n * ff; i++) {
                s.up[i] = Math.max(0f, s.up[i]);
            }
        }
        linear(b.down(), s.up, n, s.out);
        Elementwise.add(x, 0, x, 0, s.out, 0, n * config.dim());
    }

    /**
     * Bidirectional attention of n encoder tokens as matrix products per head: scores = Q·Kᵀ (GEMM),
     * plus the bucket bias, row softmax, then scores·V (GEMM).
     */
    private void attendAll(int n, int[] buckets, Scratch s, float[] scores) {
        int heads = config.heads();
        int headDim = config.headDim();
        int qDim = config.queryDim();
        int kvDim = config.kvDim();
        int group = heads / config.kvHeads();
        float[] bias = weights.encoderBias();
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            Sgemm.multiply(pool, false, true, n, n, headDim, 1f, s.q, h * headDim, qDim, s.k, g * headDim, kvDim, 0f,
                    scores, 0, n);
            int head = h;
            pool.parallelFor(n, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    int row = i * n;
                    for (int j = 0; j < n; j++) {
                        scores[row + j] += bias[buckets[j - i + n - 1] * heads + head];
                    }
                    Softmax.apply(scores, row, n);
                }
            });
            Sgemm.multiply(pool, false, false, n, headDim, n, 1f, scores, 0, n, s.v, g * headDim, kvDim, 0f,
                    s.attention, h * headDim, qDim);
        }
    }

    /**
     * Attention of {@code count} decoder queries against a cache, in parallel over tokens and heads. With
     * {@code start ≥ 0} it is causal self-attention (token t sees positions {@code 0 .. start+t}, with the
     * bucket bias); with {@code start < 0} it is cross-attention over every cached position, unbiased.
     */
    private void attendCached(int layer, int count, int start, KvCache cache, float[] bias, int[] buckets,
            Scratch s) {
        int heads = config.heads();
        int headDim = config.headDim();
        int qDim = config.queryDim();
        int group = heads / config.kvHeads();
        int longest = start < 0 ? cache.capacity() : start + count;
        pool.parallelFor(count * heads, (lo, hi) -> {
            float[] scores = new float[longest];
            for (int i = lo; i < hi; i++) {
                int t = i / heads;
                int h = i % heads;
                int span = start < 0 ? longest : start + t + 1;
                int q = t * qDim + h * headDim;
                cache.keyScores(layer, h / group, s.q, q, 0, span, scores, 0);
                if (bias != null) {
                    int last = span - 1;
                    for (int j = 0; j < span; j++) {
                        scores[j] += bias[buckets[last - j] * heads + h];
                    }
                }
                Softmax.apply(scores, 0, span);
                Arrays.fill(s.attention, q, q + headDim, 0f);
                cache.addValues(layer, h / group, scores, 0, 0, span, s.attention, q);
            }
        });
    }

    private void embed(int[] tokens, int from, int count, float[] x) {
        int dim = config.dim();
        Tensor table = weights.tokenEmbedding();
        for (int t = 0; t < count; t++) {
            int id = tokens[from + t];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of "
                        + config.vocabSize());
            }
            embeddingKernel.dequantize(table.data(), id * table.rowBytes(), x, t * dim, dim);
        }
    }

    private void norm(float[] x, int n, float[] weight, float[] out) {
        int dim = config.dim();
        for (int t = 0; t < n; t++) {
            RmsNorm.apply(out, t * dim, x, t * dim, weight, 0, dim, config.normEps());
        }
    }

    /** {@code y = x·Wᵀ} for n rows of x: GEMV for one, GEMM for more. */
    private void linear(Tensor w, float[] x, int n, float[] y) {
        if (n == 1) {
            MatVec.multiply(pool, w, x, y);
        } else {
            MatMul.multiply(pool, w, x, n, y);
        }
    }

    private Scratch scratch(int tokens) {
        if (scratch == null || scratch.tokens < tokens) {
            scratch = new Scratch(config, tokens);
        }
        return scratch;
    }

    /** Activations for a run of tokens, token-major. */
    private static final class Scratch {
        final int tokens;
        final float[] x;
        final float[] h;
        final float[] q;
        final float[] k;
        final float[] v;
        final float[] attention;
        final float[] out;
        final float[] gate;
        final float[] up;

        Scratch(T5Config c, int tokens) {
            this.tokens = tokens;
            x = new float[tokens * c.dim()];
            h = new float[tokens * c.dim()];
            q = new float[tokens * c.queryDim()];
            k = new float[tokens * c.kvDim()];
            v = new float[tokens * c.kvDim()];
            attention = new float[tokens * c.queryDim()];
            out = new float[tokens * c.dim()];
            gate = new float[tokens * c.ffnDim()];
            up = new float[tokens * c.ffnDim()];
        }
    }
}
