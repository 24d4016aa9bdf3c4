package dev.jllm.runtime.embed;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.tokenizer.AbstractTokenizer;
import dev.jllm.formats.tokenizer.SpecialTokens;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.encoder.Encoder;
import dev.jllm.model.encoder.EncoderBatch;
import dev.jllm.model.encoder.Pooling;
import dev.jllm.model.load.LoadedEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Texts to sentence vectors with a BERT-family encoder. Texts are tokenized with the model's special
 * tokens ([CLS] … [SEP]), cut to the model's length the way HF tokenizers truncate (the text's tail is
 * dropped, the closing special token kept), sorted by length and encoded {@code batchSize} at a time
 * (each batch one pass of at most {@value #BATCH_TOKENS} tokens, its matrix products over all its tokens,
 * spread over the worker pool), pooled
 * and, when asked, scaled to unit length. Results come back in the order of the input.
 *
 * <p>An embedder holds no mutable state: one instance serves concurrent callers.
 */
public final class Embedder {
    /** Texts encoded together when no batch size is given. */
    public static final int DEFAULT_BATCH = 32;
    /** Most tokens in one pass (unless one input alone is longer): bounds the activations, ~10 KB a token for MiniLM. */
    public static final int BATCH_TOKENS = 8192;

    private final Encoder encoder;
    private final Tokenizer tokenizer;
    private final Options options;
    private final int prefix;
    private final int suffix;

    /**
     * How vectors are made.
     *
     * @param pooling how token states become one vector
     * @param normalize whether vectors are scaled to unit L2 length
     * @param batchSize texts encoded in one pass
     * @param maxTokens longest input in tokens, special tokens included (at most the model's positions)
     */
    public record Options(Pooling pooling, boolean normalize, int batchSize, int maxTokens) {
        /** Checks the numbers. */
        public Options {
            Objects.requireNonNull(pooling, "pooling");
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
            }
            if (maxTokens < 1) {
                throw new IllegalArgumentException("the token limit must be at least 1, got " + maxTokens);
            }
        }
    }

    /**
     * An embedder over an encoder and its tokenizer.
     *
     * @throws IllegalArgumentException if {@code options.maxTokens} exceeds the model's positions or leaves
     *     no room for text between the special tokens
     */
    public Embedder(Encoder encoder, Tokenizer tokenizer, Options options) {
        this.encoder = Objects.requireNonNull(encoder, "encoder");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.options = Objects.requireNonNull(options, "options");
        int positions = encoder.config().maxPositions();
        if (options.maxTokens() > positions) {
            throw new IllegalArgumentException("the token limit " + options.maxTokens() + " exceeds the model's "
                    + positions + " positions");
        }
        SpecialTokens specials = tokenizer instanceof AbstractTokenizer a ? a.specialTokens() : SpecialTokens.none();
        this.prefix = specials.addBos() && specials.bos() >= 0 ? 1 : 0;
        this.suffix = specials.addEos() && specials.eos().length > 0 ? 1 : 0;
        if (options.maxTokens() <= prefix + suffix) {
            throw new IllegalArgumentException("the token limit " + options.maxTokens()
                    + " leaves no room for text between the special tokens");
        }
    }

    /**
     * An embedder for a loaded model with its tokenizer, its pooling, its normalisation and full-length
     * inputs, computing on {@code pool}.
     *
     * @throws IllegalArgumentException if the model came without a tokenizer
     */
    public static Embedder of(LoadedEncoder model, WorkerPool pool) {
        return of(model, pool, new Options(model.config().pooling(), model.normalizes(), DEFAULT_BATCH,
                model.config().maxPositions()));
    }

    /**
     * An embedder for a loaded model with {@code options}, computing on {@code pool}.
     *
     * @throws IllegalArgumentException if the model came without a tokenizer
     */
    public static Embedder of(LoadedEncoder model, WorkerPool pool, Options options) {
        Tokenizer tokenizer = model.tokenizer().orElseThrow(() -> new IllegalArgumentException(
                model.source() + " has no tokenizer (tokenizer.json or vocab.txt)"));
        return new Embedder(new Encoder(model.config(), model.weights(), pool), tokenizer, options);
    }

    /** How this embedder makes vectors. */
    public Options options() {
        return options;
    }

    /** Length of the vectors. */
    public int dimension() {
        return encoder.config().dim();
    }

    /**
     * The ids a text is encoded as: special tokens added, special tokens written in the text matched (as
     * HF tokenizers do), cut to {@link Options#maxTokens()} keeping the closing special token.
     */
    public int[] tokenize(String text) {
        return truncate(tokenizer.encode(text, true));
    }

    /** Cuts ids that already carry the model's special tokens to the token limit, keeping the closing one. */
    public int[] truncate(int[] ids) {
        int limit = options.maxTokens();
        if (ids.length <= limit) {
            return ids;
        }
        int[] cut = Arrays.copyOf(ids, limit);
        if (suffix == 1) {
            cut[limit - 1] = ids[ids.length - 1];
        }
        return cut;
    }

    /**
     * One vector per text, in order.
     *
     * @throws IllegalArgumentException if a text encodes to no token at all (a tokenizer without special
     *     tokens given an empty text)
     */
    public float[][] embed(List<String> texts) {
        List<int[]> ids = new ArrayList<>(texts.size());
        for (String text : texts) {
            ids.add(tokenize(text));
        }
        return embedIds(ids);
    }

    /** The vector of one text. */
    public float[] embed(String text) {
        return embed(List.of(text))[0];
    }

    /**
     * One vector per token sequence, in order; each sequence is taken as the model's input (special
     * tokens included) and cut to the token limit.
     *
     * @throws IllegalArgumentException if a sequence is empty or holds an id outside the vocabulary
     */
    public float[][] embedIds(List<int[]> sequences) {
        int count = sequences.size();
        int[][] ids = new int[count][];
        for (int i = 0; i < count; i++) {
            ids[i] = truncate(sequences.get(i));
            if (ids[i].length == 0) {
                throw new IllegalArgumentException("input " + i + " has no tokens");
            }
        }
        // similar lengths together: a batch's attention and pooling cost follow its longest members
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> ids[i].length).reversed());
        int dim = dimension();
        float[][] out = new float[count][];
        EncoderBatch batch = new EncoderBatch();
        int from = 0;
        while (from < count) {
            // a pass takes batchSize texts, fewer when they would pass the token budget (activations grow with it)
            int budget = Math.max(BATCH_TOKENS, options.maxTokens());
            int to = from;
            int tokens = 0;
            batch.clear();
            while (to < count && to - from < options.batchSize() && tokens + ids[order[to]].length <= budget) {
                tokens += ids[order[to]].length;
                batch.add(ids[order[to]], null);
                to++;
            }
            float[] states = encoder.forward(batch);
            for (int i = from; i < to; i++) {
                int s = i - from;
                float[] v = new float[dim];
                options.pooling().pool(states, batch.offset(s) * dim, batch.count(s), dim, v);
                if (options.normalize()) {
                    normalize(v);
                }
                out[order[i]] = v;
            }
            from = to;
        }
        return out;
    }

    /** Scales {@code v} to unit L2 length (a zero vector stays zero, as sentence-transformers leaves it). */
    static void normalize(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        double norm = Math.max(Math.sqrt(sum), 1e-12);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] / norm);
        }
    }
}
