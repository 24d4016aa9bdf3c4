package dev.jllm.model.encoder;

import dev.jllm.core.linalg.MatMul;
import dev.jllm.core.linalg.MatVec;
import dev.jllm.core.linalg.PackedMatrix;
import dev.jllm.core.linalg.Sgemm;
import dev.jllm.core.ops.Activations;
import dev.jllm.core.ops.Elementwise;
import dev.jllm.core.ops.LayerNorm;
import dev.jllm.core.ops.Softmax;
import dev.jllm.core.parallel.SpinBarrier;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The BERT-family encoder, read top to bottom: word + position + token-type embeddings and their
 * LayerNorm; per block, bidirectional attention, its projection added to the input and LayerNorm'd
 * (post-norm), then the GELU feed-forward added and LayerNorm'd. The result is one hidden state per
 * token.
 *
 * <p>A batch is packed ({@link EncoderBatch}): every projection is one matrix product over the tokens
 * of all sequences, and attention runs per sequence and head over that sequence's own tokens, which is
 * exactly a padded batch with its attention mask, minus the padding. An encoder holds no scratch
 * state, so one instance serves several threads.
 *
 * <p>F32 projections are copied once, at construction, into {@link PackedMatrix} panels (q, k and v
 * stacked into one): a sentence of a dozen tokens then costs four products per block, each one dispatch
 * that streams the weights once, instead of decoding weight rows on every call. Other weight types are
 * read in place.
 */
public final class Encoder {
    /** Sequences at least this long run attention as matrix products. */
    static final int GEMM_ATTENTION_TOKENS = 32;
    /** Below this much work a loop runs on the caller: waking the workers would cost more than it saves. */
    static final long INLINE_WORK = 1 << 15;
    /** Attention of at most this much work (tokens² × dim summed over sequences) runs on the caller. */
    static final long ATTENTION_INLINE_WORK = 1 << 17;
    /** Batches of at most this many tokens split each projection's rows across the workers. */
    static final int ROW_SHARE_TOKENS = 64;
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[0]);

    private final EncoderConfig config;
    private final EncoderWeights weights;
    private final WorkerPool pool;
    private final WeightKernel wordKernel;
    private final WeightKernel positionKernel;
    private final WeightKernel typeKernel;
    private final float attentionScale;
    /** The blocks' projections packed for few-token products, or null when the weights are not F32. */
    private final List<PackedLayerWeights> packed;

    /**
     * An encoder over bound weights.
     *
     * @throws IllegalArgumentException if a weight's shape does not match the config (naming it)
     */
    public Encoder(EncoderConfig config, EncoderWeights weights, WorkerPool pool) {
        EncoderShapes.check(config, weights);
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        this.wordKernel = WeightKernels.simd(weights.wordEmbedding().type());
        this.positionKernel = WeightKernels.simd(weights.positionEmbedding().type());
        this.typeKernel = weights.tokenTypeEmbedding() == null ? null
                : WeightKernels.simd(weights.tokenTypeEmbedding().type());
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.packed = PackedLayerWeights.packIfF32(weights);
    }

    /**
     * Checks that bound weights have the shapes {@code config} implies.
     *
     * @throws IllegalArgumentException naming the first weight that is missing or misshapen
     */
    public static void checkShapes(EncoderConfig config, EncoderWeights weights) {
        EncoderShapes.check(config, weights);
    }

    /** The model's shape and options. */
    public EncoderConfig config() {
        return config;
    }

    /** The bound weights. */
    public EncoderWeights weights() {
        return weights;
    }

    /**
     * Encodes every sequence of {@code batch}.
     *
     * @return the last block's hidden states, packed as the batch: token t of sequence s at row
     *     {@code batch.offset(s) + t}, {@code dim} floats a row
     * @throws IllegalArgumentException if the batch is empty or a token id, type or position is outside
     *     its table
     */
    public float[] forward(EncoderBatch batch) {
        int n = batch.tokenCount();
        if (n == 0) {
            throw new IllegalArgumentException("the batch is empty");
        }
        int dim = config.dim();
        float[] x = embed(batch);
        if (packed != null) {
            return forwardPacked(batch, x);
        }
        float[] q = new float[n * dim];
        float[] k = new float[n * dim];
        float[] v = new float[n * dim];
        float[] attended = new float[n * dim];
        float[] out = new float[n * dim];
        float[] hidden = new float[n * config.ffnDim()];
        for (EncoderLayerWeights w : weights.layers()) {
            linear(w.wq(), w.bq(), x, n, q);
            linear(w.wk(), w.bk(), x, n, k);
            linear(w.wv(), w.bv(), x, n, v);
            attend(batch, q, 0, k, 0, v, 0, dim, attended);
            linear(w.wo(), w.bo(), attended, n, out);
            addAndNorm(x, out, n, w.attentionNorm(), w.attentionNormBias());
            linear(w.wUp(), w.bUp(), x, n, hidden);
            activate(hidden);
            linear(w.wDown(), w.bDown(), hidden, n, out);
            addAndNorm(x, out, n, w.outputNorm(), w.outputNormBias());
        }
        return x;
    }

    /**
     * The blocks over embedded tokens {@code x} with packed F32 projections: q, k and v in one product,
     * the bias and GELU applied as each piece of the feed-forward's output is stored. All blocks run in one
     * parallel region: the threads share each product's slivers, the attention heads and the LayerNorms'
     * tokens, and meet at a barrier after each step, so that a sentence of a dozen tokens pays one dispatch
     * instead of one per product and keeps every thread busy between the products.
     */
    private float[] forwardPacked(EncoderBatch batch, float[] x) {
        int n = batch.tokenCount();
        int dim = config.dim();
        float[] qkv = new float[n * 3 * dim];
        float[] attended = new float[n * dim];
        float[] out = new float[n * dim];
        float[] hidden = new float[n * config.ffnDim()];
        PackedLayerWeights first = packed.get(0);
        // one buffer of packed activations serves every product: a barrier separates each reader from the
        // next writer
        float[] a = new float[Math.max(first.qkv().activationFloats(n), first.down().activationFloats(n))];
        int layers = packed.size();
        AtomicInteger[] claims = new AtomicInteger[5 * layers];
        Arrays.setAll(claims, i -> new AtomicInteger());
        int attentionTasks = batch.sequences() * config.heads();
        WorkerPool.RangeTask attention = attentionTasks(batch, qkv, 0, qkv, dim, qkv, 2 * dim, 3 * dim, attended);
        PackedMatrix.Epilogue activation = activation();
        SpinBarrier barrier = new SpinBarrier();
        pool.run((w, workers) -> {
            try {
                first.qkv().packActivations(x, 0, n, a, w, workers);
                barrier.await(workers);
                for (int l = 0; l < layers; l++) {
                    PackedLayerWeights p = packed.get(l);
                    EncoderLayerWeights lw = weights.layers().get(l);
                    p.qkv().multiplyShare(a, n, qkv, 0, p.qkvBias(), null, claims[5 * l]);
                    barrier.await(workers);
                    for (int task; (task = claims[5 * l + 1].getAndIncrement()) < attentionTasks; ) {
                        attention.run(task, task + 1);
                    }
                    barrier.await(workers);
                    p.output().packActivations(attended, 0, n, a, w, workers);
                    barrier.await(workers);
                    p.output().multiplyShare(a, n, out, 0, p.outputBias(), null, claims[5 * l + 2]);
                    barrier.await(workers);
                    addAndNormShare(x, out, n, lw.attentionNorm(), lw.attentionNormBias(), w, workers);
                    p.up().packActivations(x, 0, n, a, w, workers);
                    barrier.await(workers);
                    p.up().multiplyShare(a, n, hidden, 0, p.upBias(), activation, claims[5 * l + 3]);
                    barrier.await(workers);
                    p.down().packActivations(hidden, 0, n, a, w, workers);
                    barrier.await(workers);
                    p.down().multiplyShare(a, n, out, 0, p.downBias(), null, claims[5 * l + 4]);
                    barrier.await(workers);
                    addAndNormShare(x, out, n, lw.outputNorm(), lw.outputNormBias(), w, workers);
                    if (l + 1 < layers) {
                        packed.get(l + 1).qkv().packActivations(x, 0, n, a, w, workers);
                    }
                    barrier.await(workers);
                }
            } catch (RuntimeException | Error e) {
                barrier.abort(e);
                throw e;
            }
        });
        return x;
    }

    /**
     * {@code x = LayerNorm(x + y)} for the tokens of the activation slivers that
     * {@link PackedMatrix#packActivations} gives this worker, so that it can pack them right after.
     */
    private void addAndNormShare(float[] x, float[] y, int n, float[] weight, float[] bias, int worker,
            int workers) {
        int dim = config.dim();
        int sliver = PackedMatrix.ACTIVATION_SLIVER;
        for (int t0 = worker * sliver; t0 < n; t0 += workers * sliver) {
            for (int t = t0; t < Math.min(n, t0 + sliver); t++) {
                Elementwise.add(x, t * dim, x, t * dim, y, t * dim, dim);
                LayerNorm.apply(x, t * dim, x, t * dim, weight, 0, bias, 0, dim, config.normEps());
            }
        }
    }

    /** The feed-forward's non-linearity as an in-place operation on a piece of a row. */
    private PackedMatrix.Epilogue activation() {
        return switch (config.activation()) {
            case GELU_ERF -> (h, from, length) -> Activations.geluErf(h, from, h, from, length);
            case GELU_TANH -> (h, from, length) -> Activations.geluTanh(h, from, h, from, length);
            case RELU -> (h, from, length) -> {
                for (int i = from; i < from + length; i++) {
                    h[i] = Math.max(0f, h[i]);
                }
            };
        };
    }

    /**
     * Encodes a padded batch as HF models take it: {@code rows} rows of {@code length} token ids, token
     * types (null for all 0) and an attention mask (non-zero for real tokens).
     *
     * @return rows × length × dim hidden states; the rows of masked tokens are zero
     * @throws IllegalArgumentException if an array is shorter than rows × length, a row is all masked,
     *     or a token id, type or position is outside its table
     */
    public float[] forwardPadded(int rows, int length, int[] tokenIds, int[] typeIds, int[] mask) {
        EncoderBatch batch = new EncoderBatch();
        for (int r = 0; r < rows; r++) {
            batch.addMasked(tokenIds, typeIds, mask, r * length, length);
        }
        float[] packed = forward(batch);
        int dim = config.dim();
        float[] out = new float[rows * length * dim];
        for (int r = 0; r < rows; r++) {
            int t = batch.offset(r);
            for (int i = 0; i < length; i++) {
                if (mask[r * length + i] != 0) {
                    System.arraycopy(packed, t++ * dim, out, (r * length + i) * dim, dim);
                }
            }
        }
        return out;
    }

    /** Word + position + token-type embedding of every token, then the embedding LayerNorm. */
    private float[] embed(EncoderBatch batch) {
        int n = batch.tokenCount();
        int dim = config.dim();
        Tensor words = weights.wordEmbedding();
        Tensor positions = weights.positionEmbedding();
        Tensor types = weights.tokenTypeEmbedding();
        for (int t = 0; t < n; t++) {
            check("token id", batch.id(t), config.vocabSize(), t);
            check("position", batch.position(t), config.maxPositions(), t);
            if (types != null) {
                check("token type", batch.type(t), config.typeVocabSize(), t);
            } else if (batch.type(t) != 0) {
                throw new IllegalArgumentException("token " + t + " has type " + batch.type(t)
                        + " but the model has no token-type embedding");
            }
        }
        float[] x = new float[n * dim];
        split(n, n * dim, (from, to) -> {
            float[] row = new float[dim];
            for (int t = from; t < to; t++) {
                wordKernel.dequantize(words.data(), batch.id(t) * words.rowBytes(), x, t * dim, dim);
                positionKernel.dequantize(positions.data(), batch.position(t) * positions.rowBytes(), row, 0, dim);
                Elementwise.add(x, t * dim, x, t * dim, row, 0, dim);
                if (types != null) {
                    typeKernel.dequantize(types.data(), batch.type(t) * types.rowBytes(), row, 0, dim);
                    Elementwise.add(x, t * dim, x, t * dim, row, 0, dim);
                }
                LayerNorm.apply(x, t * dim, x, t * dim, weights.embeddingNorm(), 0, weights.embeddingNormBias(), 0,
                        dim, config.normEps());
            }
        });
        return x;
    }

    private static void check(String what, int value, int size, int token) {
        if (value < 0 || value >= size) {
            throw new IllegalArgumentException(what + " " + value + " of token " + token + " is outside the model's "
                    + size);
        }
    }

    /**
     * Bidirectional attention of each sequence over its own tokens, one task per (sequence, head). Token
     * t's query, key and value rows start at {@code qAt}, {@code kAt}, {@code vAt} plus {@code t·stride};
     * its output row at {@code t·dim}. Short sequences take vector loops; longer ones scores = Q·Kᵀ (GEMM),
     * row softmax, then scores·V (GEMM), run inline on the task's worker.
     */
    private void attend(EncoderBatch batch, float[] q, int qAt, float[] k, int kAt, float[] v, int vAt, int stride,
            float[] out) {
        int dim = config.dim();
        long work = 0;
        for (int s = 0; s < batch.sequences(); s++) {
            work += (long) batch.count(s) * batch.count(s) * dim;
        }
        WorkerPool.RangeTask body = attentionTasks(batch, q, qAt, k, kAt, v, vAt, stride, out);
        if (work < ATTENTION_INLINE_WORK) {
            body.run(0, batch.sequences() * config.heads());
        } else {
            pool.parallelForDynamic(batch.sequences() * config.heads(), 1, body);
        }
    }

    /** Attention as tasks {@code [0, sequences × heads)}, one per (sequence, head), as {@link #attend} runs them. */
    private WorkerPool.RangeTask attentionTasks(EncoderBatch batch, float[] q, int qAt, float[] k, int kAt, float[] v,
            int vAt, int stride, float[] out) {
        int heads = config.heads();
        int headDim = config.headDim();
        int dim = config.dim();
        return (from, to) -> {
            for (int task = from; task < to; task++) {
                int s = task / heads;
                int h = task % heads;
                int n = batch.count(s);
                int row = batch.offset(s) * stride + h * headDim;
                int at = batch.offset(s) * dim + h * headDim;
                if (n < GEMM_ATTENTION_TOKENS) {
                    float[] scores = scratch(SCORES, AttentionHead.scratchFloats(n, headDim));
                    AttentionHead.attend(n, headDim, attentionScale, q, qAt + row, k, kAt + row, v, vAt + row,
                            stride, scores, out, at, dim);
                    continue;
                }
                float[] scores = scratch(SCORES, n * n);
                Sgemm.multiply(pool, false, true, n, n, headDim, attentionScale, q, qAt + row, stride, k, kAt + row,
                        stride, 0f, scores, 0, n);
                for (int i = 0; i < n; i++) {
                    Softmax.apply(scores, i * n, n);
                }
                Sgemm.multiply(pool, false, false, n, headDim, n, 1f, scores, 0, n, v, vAt + row, stride, 0f, out, at,
                        dim);
            }
        };
    }

    /** A thread's scratch array of at least {@code size} floats. */
    private static float[] scratch(ThreadLocal<float[]> local, int size) {
        float[] s = local.get();
        if (s.length < size) {
            s = new float[size];
            local.set(s);
        }
        return s;
    }

    /** {@code x = LayerNorm(x + y)} row by row: the post-norm residual. */
    private void addAndNorm(float[] x, float[] y, int n, float[] weight, float[] bias) {
        int dim = config.dim();
        split(n, n * dim, (from, to) -> {
            for (int t = from; t < to; t++) {
                Elementwise.add(x, t * dim, x, t * dim, y, t * dim, dim);
                LayerNorm.apply(x, t * dim, x, t * dim, weight, 0, bias, 0, dim, config.normEps());
            }
        });
    }

    /** The feed-forward's non-linearity over all rows, in chunks across the workers. */
    private void activate(float[] h) {
        int length = h.length;
        int chunk = 4096;
        split((length + chunk - 1) / chunk, length, (from, to) -> {
            int lo = from * chunk;
            int hi = Math.min(length, to * chunk);
            switch (config.activation()) {
                case GELU_ERF -> Activations.geluErf(h, lo, h, lo, hi - lo);
                case GELU_TANH -> Activations.geluTanh(h, lo, h, lo, hi - lo);
                case RELU -> {
                    for (int i = lo; i < hi; i++) {
                        h[i] = Math.max(0f, h[i]);
                    }
                }
                default -> throw new IllegalStateException(config.activation().toString());
            }
        });
    }

    /**
     * {@code Y = X·Wᵀ} for a few tokens in one dispatch: each worker multiplies its share of W's rows (a view)
     * on its own, the matrix product running inline in the task, into a scratch block that it then copies
     * into its columns of Y. A product over all of W dispatches twice per 256-column panel, which for a few
     * tokens costs more than the arithmetic. Each output element sums in the same order either way.
     */
    private void linearByRowShares(Tensor w, float[] x, int n, float[] y) {
        int rows = Math.toIntExact(w.rows());
        WeightKernel kernel = WeightKernels.simd(w.type());
        pool.run((worker, workers) -> {
            int from = (int) ((long) rows * worker / workers);
            int to = (int) ((long) rows * (worker + 1) / workers);
            int share = to - from;
            if (share <= 0) {
                return;
            }
            Tensor part = Tensor.wrap(w.type(), w.data().asSlice(from * w.rowBytes(), share * w.rowBytes()), share,
                    w.cols());
            float[] block = scratch(BLOCK, n * share);
            MatMul.multiply(pool, kernel, part, x, 0, n, block, 0);
            for (int t = 0; t < n; t++) {
                System.arraycopy(block, t * share, y, t * rows + from, share);
            }
        });
    }

    /**
     * Runs {@code body} over {@code [0, count)}: on the workers when {@code work} (about one unit per
     * float touched) repays a dispatch, else right here.
     */
    private void split(int count, long work, WorkerPool.RangeTask body) {
        if (work < INLINE_WORK) {
            body.run(0, count);
        } else {
            pool.parallelFor(count, body);
        }
    }

    /** {@code y = x·Wᵀ + bias} for n rows of x: GEMV for one, GEMM for more. */
    private void linear(Tensor w, float[] bias, float[] x, int n, float[] y) {
        if (n == 1) {
            MatVec.multiply(pool, w, x, y);
        } else if (n <= ROW_SHARE_TOKENS && pool.threads() > 1) {
            linearByRowShares(w, x, n, y);
        } else {
            MatMul.multiply(pool, w, x, n, y);
        }
        if (bias != null) {
            int width = bias.length;
            split(n, (long) n * width, (from, to) -> {
                for (int t = from; t < to; t++) {
                    Elementwise.add(y, t * width, y, t * width, bias, 0, width);
                }
            });
        }
    }
}
