package dev.jllm.model.decoder;

import dev.jllm.core.linalg.InterleavedMatrix;
import dev.jllm.core.linalg.MatMul;
import dev.jllm.core.linalg.MatVec;
import dev.jllm.core.linalg.Sgemm;
import dev.jllm.core.ops.Activations;
import dev.jllm.core.ops.Elementwise;
import dev.jllm.core.ops.LayerNorm;
import dev.jllm.core.ops.RmsNorm;
import dev.jllm.core.ops.Rope;
import dev.jllm.core.ops.RopeTable;
import dev.jllm.core.ops.Softmax;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.DirectMemory;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.cache.CachedAttention;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.DecoderMath.NormSite;
import dev.jllm.model.decoder.DecoderMath.Projection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The decoder-only Transformer, read top to bottom: embed, then per block pre-norm attention and
 * pre-norm MLP with residuals, then the final norm and the classifier. Llama, Mistral, Qwen2/3 and
 * GPT-2 are this one forward pass with the options of their {@link ModelConfig}.
 *
 * <p>A call runs a batch of consecutive tokens of one sequence: with one token every projection is a
 * GEMV (decode, bandwidth-bound); with several, a GEMM (prefill, compute-bound). Keys and values go
 * into a {@link KvCache}; attention reads them back for every earlier position. A decoder keeps
 * scratch buffers, so one instance serves one thread at a time.
 */
public final class Decoder {
    /** Batches at least this long run attention as matrix products. */
    static final int BATCHED_ATTENTION_TOKENS = 8;
    /** Scratch of single-token attention, one per worker thread. */
    private static final ThreadLocal<CachedAttention> ATTENTION = ThreadLocal.withInitial(CachedAttention::new);

    private final ModelConfig config;
    private final DecoderWeights weights;
    private final WorkerPool pool;
    // interleaved copies of Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and K-quant matrices, which then run every product of them,
    // if asked
    private final Map<Tensor, InterleavedMatrix> interleaved;
    private final WeightKernel embeddingKernel;
    private final WeightKernel positionKernel;
    private final double[] ropeFrequencies;
    private final float attentionScale;
    private final DecoderBatch single = new DecoderBatch();
    private RopeTable rope;
    private Buffers buffers;

    /**
     * A decoder over bound weights.
     *
     * @throws IllegalArgumentException if a weight's shape does not match the config (naming it)
     */
    public Decoder(ModelConfig config, DecoderWeights weights, WorkerPool pool) {
        this(config, weights, pool, false);
    }

    /**
     * A decoder over bound weights that, if {@code interleave}, first copies every Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K,
     * Q5_K and Q6_K matrix it can into {@link InterleavedMatrix} blocks off the heap and runs every product of those matrices
     * from the copies: one token through an integer kernel, a few through the interleaved float kernels (Q8_0) or the
     * packed GEMM (the other types), more through the packed GEMM.
     * The mapped pages each copy replaces are released, so memory stays about the file's size.
     *
     * @throws IllegalArgumentException if a weight's shape does not match the config (naming it), or the copies
     *     would not fit the JVM's direct memory limit ({@link #interleavedBytes} against
     *     {@link DirectMemory#available()})
     */
    public Decoder(ModelConfig config, DecoderWeights weights, WorkerPool pool, boolean interleave) {
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        DecoderShapes.check(config, weights);
        this.embeddingKernel = WeightKernels.simd(weights.tokenEmbedding().type());
        this.positionKernel = weights.positionEmbedding() == null ? null
                : WeightKernels.simd(weights.positionEmbedding().type());
        this.ropeFrequencies = config.usesRope()
                ? config.ropeScaling().scale(RopeTable.standardFrequencies(config.rotaryDim(), config.ropeTheta()))
                : null;
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.interleaved = interleave ? RepackedMatrices.copy(weights, pool) : Map.of();
    }

    /** Bytes the interleaved copies of {@code weights}' quantized matrices would take; 0 if none can be. */
    public static long interleavedBytes(DecoderWeights weights) {
        return RepackedMatrices.bytes(weights);
    }

    /** Whether some matrices run from interleaved copies (see the four-argument constructor). */
    public boolean interleaves() {
        return !interleaved.isEmpty();
    }

    /**
     * Checks that bound weights have the shapes {@code config} implies.
     *
     * @throws IllegalArgumentException naming the first weight that is missing or misshapen
     */
    public static void checkShapes(ModelConfig config, DecoderWeights weights) {
        DecoderShapes.check(config, weights);
    }

    /** The model's shape and options. */
    public ModelConfig config() {
        return config;
    }

    /** The bound weights. */
    public DecoderWeights weights() {
        return weights;
    }

    /** A cache for this model holding up to {@code capacity} positions in {@code type}. */
    public KvCache newCache(DType type, int capacity) {
        return new KvCache(type, config.layers(), config.kvHeads(), config.headDim(), capacity);
    }

    /**
     * Runs {@code count} tokens {@code tokens[from ..]} at positions {@code start ..} and writes the logits
     * of the last one into {@code logits[0 .. vocab)}.
     *
     * @throws IllegalArgumentException if a token id is outside the vocabulary or the positions
     *     exceed the cache
     */
    public void forward(int[] tokens, int from, int count, int start, KvCache cache, float[] logits) {
        forward(tokens, from, count, start, cache, logits, false);
    }

    /**
     * As {@link #forward(int[], int, int, int, KvCache, float[])}; with {@code allLogits} the logits of
     * every token are written, token t's at {@code logits[t·vocab ..]} (for scoring and perplexity).
     */
    public void forward(int[] tokens, int from, int count, int start, KvCache cache, float[] logits,
            boolean allLogits) {
        if (count <= 0) {
            throw new IllegalArgumentException("forward needs at least one token, got " + count);
        }
        run(single.clear().add(cache, tokens, from, count, start, true), logits, allLogits);
    }

    /**
     * Runs every segment of {@code batch} in one pass (each projection one GEMM over all its tokens) and
     * writes the logits of each segment that asks for them into consecutive rows of {@code logits}, in
     * the order the segments were added.
     *
     * @throws IllegalArgumentException if the batch is empty, a token id is outside the vocabulary or
     *     the logits buffer is too short
     */
    public void forward(DecoderBatch batch, float[] logits) {
        if (batch.segments() == 0) {
            throw new IllegalArgumentException("the batch is empty");
        }
        run(batch, logits, false);
    }

    private void run(DecoderBatch batch, float[] logits, boolean allLogits) {
        int vocab = config.vocabSize();
        int count = batch.tokenCount();
        int outputs = allLogits ? count : batch.logitRows();
        if (logits.length < (long) outputs * vocab) {
            throw new IllegalArgumentException("logits buffer holds " + logits.length + " values, needs "
                    + (long) outputs * vocab);
        }
        Buffers b = buffers(count);
        int rows = 0;
        int end = 0;
        for (int s = 0; s < batch.segments(); s++) {
            int offset = batch.offset(s);
            for (int t = 0; t < batch.count(s); t++) {
                b.positions[offset + t] = batch.start(s) + t;
                b.segmentOf[offset + t] = s;
                if (allLogits) {
                    b.outputRows[rows++] = offset + t;
                }
            }
            if (!allLogits && batch.wantsLogits(s)) {
                b.outputRows[rows++] = offset + batch.count(s) - 1;
            }
            end = Math.max(end, batch.start(s) + batch.count(s));
        }
        ensureRope(end);
        DecoderDefinition.forward(config, new Eager(batch, rows, logits, b));
    }

    /**
     * The definition's operations on this decoder's float buffers, for one call: each op writes into the
     * buffer its role owns (q, k, v, attention, out, gate, up; norms into h) or in place, and attention
     * stores keys and values in the cache before reading them back. With one token, q/k/v and gate/up
     * are computed by one GEMV dispatch each (the first of them computes the others).
     */
    private final class Eager implements DecoderMath<float[]> {
        private final DecoderBatch batch;
        private final int count;
        private final int outputs;
        private final float[] logits;
        private final Buffers b;
        private int fusedQkvLayer = -1;
        private int fusedMlpLayer = -1;

        Eager(DecoderBatch batch, int outputs, float[] logits, Buffers b) {
            this.batch = batch;
            this.count = batch.tokenCount();
            this.outputs = outputs;
            this.logits = logits;
            this.b = b;
        }

        @Override
        public float[] embed() {
            Decoder.this.embed(batch.tokens(), count, b.positions, b.x);
            return b.x;
        }

        @Override
        public float[] norm(float[] x, int layer, NormSite site) {
            int dim = config.dim();
            if (site == NormSite.FINAL) {
                for (int r = 0; r < outputs; r++) {
                    Decoder.this.norm(b.h, r * dim, x, b.outputRows[r] * dim, weights.outputNorm(),
                            weights.outputNormBias());
                }
                return b.h;
            }
            LayerWeights w = weights.layers().get(layer);
            for (int t = 0; t < count; t++) {
                if (site == NormSite.ATTENTION) {
                    Decoder.this.norm(b.h, t * dim, x, t * dim, w.attnNorm(), w.attnNormBias());
                } else {
                    Decoder.this.norm(b.h, t * dim, x, t * dim, w.ffnNorm(), w.ffnNormBias());
                }
            }
            return b.h;
        }

        @Override
        public float[] linear(float[] x, int layer, Projection p) {
            LayerWeights w = weights.layers().get(layer);
            switch (p) {
                case Q, K, V -> {
                    if (count == 1 && fusedQkvLayer != layer) {
                        singleToken(new Tensor[] {w.wq(), w.wk(), w.wv()}, x, new float[][] {b.q, b.k, b.v});
                        addBias(b.q, w.bq(), 1);
                        addBias(b.k, w.bk(), 1);
                        addBias(b.v, w.bv(), 1);
                        fusedQkvLayer = layer;
                    } else if (count > 1) {
                        Decoder.this.linear(p == Projection.Q ? w.wq() : p == Projection.K ? w.wk() : w.wv(),
                                p == Projection.Q ? w.bq() : p == Projection.K ? w.bk() : w.bv(), x, count,
                                p == Projection.Q ? b.q : p == Projection.K ? b.k : b.v);
                    }
                    return p == Projection.Q ? b.q : p == Projection.K ? b.k : b.v;
                }
                case GATE, UP -> {
                    if (count == 1 && w.wGate() != null && fusedMlpLayer != layer) {
                        singleToken(new Tensor[] {w.wGate(), w.wUp()}, x, new float[][] {b.gate, b.up});
                        addBias(b.up, w.bUp(), 1);
                        fusedMlpLayer = layer;
                    } else if (count > 1 || w.wGate() == null) {
                        Decoder.this.linear(p == Projection.GATE ? w.wGate() : w.wUp(),
                                p == Projection.GATE ? null : w.bUp(), x, count, p == Projection.GATE ? b.gate : b.up);
                    }
                    return p == Projection.GATE ? b.gate : b.up;
                }
                case OUTPUT -> {
                    Decoder.this.linear(w.wo(), w.bo(), x, count, b.out);
                    return b.out;
                }
                case DOWN -> {
                    Decoder.this.linear(w.wDown(), w.bDown(), x, count, b.out);
                    return b.out;
                }
                default -> throw new IllegalStateException(p.toString());
            }
        }

        @Override
        public float[] headNorm(float[] x, int layer, Projection p) {
            LayerWeights w = weights.layers().get(layer);
            int heads = p == Projection.Q ? config.heads() : config.kvHeads();
            float[] weight = p == Projection.Q ? w.qNorm() : w.kNorm();
            int headDim = config.headDim();
            for (int r = 0; r < count * heads; r++) {
                RmsNorm.apply(x, r * headDim, x, r * headDim, weight, 0, headDim, config.normEps());
            }
            return x;
        }

        @Override
        public float[] rope(float[] x, Projection p) {
            int heads = p == Projection.Q ? config.heads() : config.kvHeads();
            int width = heads * config.headDim();
            for (int t = 0; t < count; t++) {
                if (config.positions() == ModelConfig.Positions.ROPE_ADJACENT) {
                    Rope.applyAdjacent(x, t * width, heads, config.headDim(), rope, b.positions[t]);
                } else {
                    Rope.applyHalves(x, t * width, heads, config.headDim(), rope, b.positions[t]);
                }
            }
            return x;
        }

        @Override
        public float[] attention(int layer, float[] q, float[] k, float[] v) {
            int kvDim = config.kvDim();
            int loose = 0;
            for (int s = 0; s < batch.segments(); s++) {
                KvCache cache = batch.cache(s);
                int offset = batch.offset(s);
                for (int t = 0; t < batch.count(s); t++) {
                    cache.store(layer, batch.start(s) + t, k, (offset + t) * kvDim, v, (offset + t) * kvDim);
                }
                if (batch.count(s) >= BATCHED_ATTENTION_TOKENS) {
                    attendBatched(layer, offset, batch.count(s), batch.start(s), cache, b);
                } else {
                    for (int t = 0; t < batch.count(s); t++) {
                        b.looseTokens[loose++] = offset + t;
                    }
                }
            }
            if (loose > 0) {
                attend(layer, loose, batch, b);
            }
            return b.attention;
        }

        @Override
        public float[] add(float[] x, float[] y) {
            Elementwise.add(x, 0, x, 0, y, 0, count * config.dim());
            return x;
        }

        @Override
        public float[] swiglu(float[] gate, float[] up) {
            Activations.swiglu(gate, 0, gate, 0, up, 0, count * config.ffnDim());
            return gate;
        }

        @Override
        public float[] gelu(float[] x) {
            Activations.geluTanh(x, 0, x, 0, count * config.ffnDim());
            return x;
        }

        @Override
        public float[] logits(float[] x) {
            Decoder.this.linear(weights.output(), null, x, outputs, logits);
            return logits;
        }
    }

    private void embed(int[] tokens, int count, int[] positions, float[] x) {
        int dim = config.dim();
        Tensor table = weights.tokenEmbedding();
        for (int t = 0; t < count; t++) {
            int id = tokens[t];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of "
                        + config.vocabSize());
            }
            embeddingKernel.dequantize(table.data(), id * table.rowBytes(), x, t * dim, dim);
        }
        if (weights.positionEmbedding() != null) {
            Tensor positionTable = weights.positionEmbedding();
            float[] row = new float[dim];
            for (int t = 0; t < count; t++) {
                positionKernel.dequantize(positionTable.data(), positions[t] * positionTable.rowBytes(), row, 0, dim);
                Elementwise.add(x, t * dim, x, t * dim, row, 0, dim);
            }
        }
    }

    /**
     * Causal (optionally windowed) attention of the listed tokens, each against its own sequence's
     * cache up to its position, in parallel over tokens and heads.
     */
    private void attend(int layer, int tokens, DecoderBatch batch, Buffers b) {
        int heads = config.heads();
        int headDim = config.headDim();
        int qDim = config.queryDim();
        int group = heads / config.kvHeads();
        int window = config.slidingWindow();
        // one task per token, key/value head and share of its query heads: rows read once serve the whole share
        int kvHeads = config.kvHeads();
        int shares = Math.min(group, Math.max(1, (pool.threads() + tokens * kvHeads - 1) / (tokens * kvHeads)));
        pool.parallelFor(tokens * kvHeads * shares, (lo, hi) -> {
            CachedAttention attention = ATTENTION.get();
            for (int i = lo; i < hi; i++) {
                int t = b.looseTokens[i / (kvHeads * shares)];
                int g = i / shares % kvHeads;
                int share = i % shares;
                int h0 = g * group + group * share / shares;
                int h1 = g * group + group * (share + 1) / shares;
                KvCache cache = batch.cache(b.segmentOf[t]);
                int last = b.positions[t];
                int first = window > 0 ? Math.max(0, last - window + 1) : 0;
                int q = t * qDim + h0 * headDim;
                attention.attend(cache, layer, g, b.q, q, h1 - h0, attentionScale, first, last + 1, b.attention, q);
            }
        });
    }

    /**
     * Prefill attention as matrix products per head: scores = Q·Kᵀ over every cached position (GEMM),
     * causal (and window) mask, row softmax, then scores·V (GEMM). Quadratic in the prompt like the
     * per-position loop, but at GEMM speed.
     */
    private void attendBatched(int layer, int offset, int count, int start, KvCache cache, Buffers b) {
        int heads = config.heads();
        int headDim = config.headDim();
        int qDim = config.queryDim();
        int group = heads / config.kvHeads();
        int window = config.slidingWindow();
        int positions = start + count;
        float[] keys = b.keys(positions * headDim);
        float[] values = b.values(positions * headDim);
        float[] scores = b.scores(count * positions);
        for (int g = 0; g < config.kvHeads(); g++) {
            cache.readKeys(layer, g, 0, positions, keys, 0);
            cache.readValues(layer, g, 0, positions, values, 0);
            for (int h = g * group; h < (g + 1) * group; h++) {
                Sgemm.multiply(pool, false, true, count, positions, headDim, attentionScale, b.q,
                        offset * qDim + h * headDim, qDim,
                        keys, 0, headDim, 0f, scores, 0, positions);
                pool.parallelFor(count, (lo, hi) -> {
                    for (int t = lo; t < hi; t++) {
                        int last = start + t;
                        int first = window > 0 ? Math.max(0, last - window + 1) : 0;
                        int row = t * positions;
                        java.util.Arrays.fill(scores, row, row + first, 0f);
                        Softmax.apply(scores, row + first, last + 1 - first);
                        java.util.Arrays.fill(scores, row + last + 1, row + positions, 0f);
                    }
                });
                Sgemm.multiply(pool, false, false, count, headDim, positions, 1f, scores, 0, positions, values, 0,
                        headDim, 0f, b.attention, offset * qDim + h * headDim, qDim);
            }
        }
    }

    private void norm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float[] bias) {
        if (config.norm() == ModelConfig.Norm.RMS) {
            RmsNorm.apply(out, outOffset, x, xOffset, weight, 0, config.dim(), config.normEps());
        } else {
            LayerNorm.apply(out, outOffset, x, xOffset, weight, 0, bias, 0, config.dim(), config.normEps());
        }
    }

    /** {@code y = x·Wᵀ + bias} for n rows of x: GEMV for one, GEMM for more. */
    private void linear(Tensor w, float[] bias, float[] x, int n, float[] y) {
        InterleavedMatrix copy = interleaved.get(w);
        if (n == 1) {
            singleToken(new Tensor[] {w}, x, new float[][] {y});
        } else if (copy != null) {
            copy.multiply(pool, x, 0, n, y, 0);
        } else {
            MatMul.multiply(pool, w, x, n, y);
        }
        addBias(y, bias, n);
    }

    /**
     * {@code ys[i] = ws[i]·x} for one token: the matrices with interleaved copies through their integer kernels, the
     * others through {@link MatVec}'s fused products.
     */
    private void singleToken(Tensor[] ws, float[] x, float[][] ys) {
        List<InterleavedMatrix> copies = new ArrayList<>();
        List<float[]> copyYs = new ArrayList<>();
        List<Tensor> rest = new ArrayList<>();
        List<float[]> restYs = new ArrayList<>();
        for (int i = 0; i < ws.length; i++) {
            InterleavedMatrix copy = interleaved.get(ws[i]);
            if (copy != null) {
                copies.add(copy);
                copyYs.add(ys[i]);
            } else {
                rest.add(ws[i]);
                restYs.add(ys[i]);
            }
        }
        // a type without a copy (Q6_K beside Q4_K) runs apart, the copies of any types together
        if (!copies.isEmpty()) {
            InterleavedMatrix.multiplyQuantized(pool, copies.toArray(InterleavedMatrix[]::new), x, 0,
                    copyYs.toArray(float[][]::new), new int[copies.size()]);
        }
        if (!rest.isEmpty()) {
            MatVec.multiply(pool, rest.toArray(Tensor[]::new), x, restYs.toArray(float[][]::new));
        }
    }

    private static void addBias(float[] y, float[] bias, int n) {
        if (bias != null) {
            for (int t = 0; t < n; t++) {
                Elementwise.add(y, t * bias.length, y, t * bias.length, bias, 0, bias.length);
            }
        }
    }

    /** Grows the RoPE table (by doubling, up to the context length) to cover {@code positions}. */
    private void ensureRope(int positions) {
        if (!config.usesRope() || (rope != null && rope.maxPositions() >= positions)) {
            return;
        }
        int size = rope == null ? 512 : rope.maxPositions();
        while (size < positions) {
            size *= 2;
        }
        rope = new RopeTable(config.rotaryDim(), size, config.ropeTheta(), ropeFrequencies);
    }

    private Buffers buffers(int count) {
        if (buffers == null || buffers.tokens < count) {
            buffers = new Buffers(config, count);
        }
        return buffers;
    }

    /** Activations for a batch of tokens, token-major. */
    private static final class Buffers {
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
        final int[] positions;
        final int[] segmentOf;
        final int[] outputRows;
        final int[] looseTokens;
        private float[] keys = new float[0];
        private float[] values = new float[0];
        private float[] scores = new float[0];

        float[] keys(int size) {
            return keys.length >= size ? keys : (keys = new float[size]);
        }

        float[] values(int size) {
            return values.length >= size ? values : (values = new float[size]);
        }

        float[] scores(int size) {
            return scores.length >= size ? scores : (scores = new float[size]);
        }

        Buffers(ModelConfig c, int tokens) {
            this.tokens = tokens;
            x = new float[tokens * c.dim()];
            h = new float[tokens * Math.max(c.dim(), 1)];
            q = new float[tokens * c.queryDim()];
            k = new float[tokens * c.kvDim()];
            v = new float[tokens * c.kvDim()];
            attention = new float[tokens * c.queryDim()];
            out = new float[tokens * c.dim()];
            gate = new float[tokens * c.ffnDim()];
            up = new float[tokens * c.ffnDim()];
            positions = new int[tokens];
            segmentOf = new int[tokens];
            outputRows = new int[tokens];
            looseTokens = new int[tokens];
        }
    }
}
