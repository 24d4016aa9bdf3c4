package dev.jllm.runtime;

import dev.jllm.core.tensor.DType;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.decoder.DecoderBatch;
import java.util.Arrays;

/**
 * One sequence's state over a {@link Decoder}: the tokens its KV cache holds and the logits of the
 * last one. Prompts are prefilled in chunks (GEMM); generated tokens are appended one at a time (GEMV).
 *
 * <p>{@link #ingest} keeps the longest prefix the cache already holds and computes only the rest, so
 * a chat that resends its history, or a server request that shares a system prompt, pays only for the
 * new tokens. Not thread-safe: one sequence, one thread.
 */
public final class Generator implements AutoCloseable {
    /** Prompt tokens per forward call: enough to keep GEMM efficient, few enough to bound activation memory. */
    public static final int DEFAULT_PREFILL_CHUNK = 256;

    private final Decoder decoder;
    private final KvCache cache;
    private final int prefillChunk;
    private final float[] logits;
    private final DecoderBatch batch = new DecoderBatch();
    private final int[] single = new int[1];
    private int[] tokens = new int[64];
    private int length;
    private long prefillNanos;
    private long prefillTokens;
    private long decodeNanos;
    private long decodeTokens;

    /**
     * A generator with an empty cache.
     *
     * @param cacheType F32, F16 or Q8_0
     * @param contextLength the most tokens the sequence may hold (at most the model's context length)
     * @throws IllegalArgumentException naming the parameter that is out of range
     */
    public Generator(Decoder decoder, DType cacheType, int contextLength, int prefillChunk) {
        int max = decoder.config().contextLength();
        if (contextLength <= 0 || contextLength > max) {
            throw new IllegalArgumentException("context length must be in 1.." + max + " (the model's), got "
                    + contextLength);
        }
        if (prefillChunk <= 0) {
            throw new IllegalArgumentException("prefill chunk must be positive, got " + prefillChunk);
        }
        this.decoder = decoder;
        this.cache = decoder.newCache(cacheType, contextLength);
        this.prefillChunk = prefillChunk;
        this.logits = new float[decoder.config().vocabSize()];
    }

    /** The decoder. */
    public Decoder decoder() {
        return decoder;
    }

    /** The most tokens the sequence may hold. */
    public int contextLength() {
        return cache.capacity();
    }

    /** How many tokens the cache holds. */
    public int length() {
        return length;
    }

    /** The tokens the cache holds, oldest first. */
    public int[] tokens() {
        return Arrays.copyOf(tokens, length);
    }

    /** The logits after the last token (valid once a token has been ingested); do not modify. */
    public float[] logits() {
        return logits;
    }

    /**
     * Makes the sequence equal {@code prompt}: keeps the prefix the cache shares with it (at least one
     * token is always recomputed, for its logits) and runs the rest in chunks.
     *
     * @return the logits after the prompt's last token
     * @throws IllegalArgumentException if the prompt is empty or longer than the context
     */
    public float[] ingest(int[] prompt) {
        int keep = keepPrefix(prompt);
        long start = System.nanoTime();
        for (int from = keep; from < prompt.length; from += prefillChunk) {
            int count = Math.min(prefillChunk, prompt.length - from);
            add(batch.clear(), prompt, from, count, true);
            decoder.forward(batch, logits);
        }
        prefillNanos += System.nanoTime() - start;
        prefillTokens += prompt.length - keep;
        return logits;
    }

    /**
     * Appends one token and runs it.
     *
     * @return the logits after it
     * @throws IllegalArgumentException if the context is full
     */
    public float[] append(int token) {
        long start = System.nanoTime();
        single[0] = token;
        add(batch.clear(), single, 0, 1, true);
        decoder.forward(batch, logits);
        decodeNanos += System.nanoTime() - start;
        decodeTokens++;
        return logits;
    }

    /** How many leading tokens of {@code prompt} the cache holds already. */
    public int sharedPrefix(int[] prompt) {
        int n = 0;
        int limit = Math.min(length, prompt.length);
        while (n < limit && tokens[n] == prompt[n]) {
            n++;
        }
        return n;
    }

    /**
     * Starts a new prompt without running it: keeps the longest prefix the cache shares with
     * {@code prompt} (but never the whole prompt, so its last token gets logits) and forgets the rest.
     * The caller then feeds {@code prompt[length() ..]} through {@link #add}.
     *
     * @return how many tokens were kept
     * @throws IllegalArgumentException if the prompt is empty or longer than the context
     */
    public int keepPrefix(int[] prompt) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        checkFits(prompt.length);
        length = Math.min(sharedPrefix(prompt), prompt.length - 1);
        return length;
    }

    /**
     * Adds {@code source[from .. from+count)} as this sequence's segment of {@code b}, at the positions
     * after the tokens it holds, and counts them as held. The batch must then be run by
     * {@link #forward}, before this generator is used again.
     *
     * @param wantLogits whether the batch computes the logits after the segment
     * @throws ContextOverflowException if the tokens do not fit the context
     */
    public void add(DecoderBatch b, int[] source, int from, int count, boolean wantLogits) {
        checkFits(length + count);
        ensureCapacity(length + count);
        b.add(cache, source, from, count, length, wantLogits);
        System.arraycopy(source, from, tokens, length, count);
        length += count;
    }

    /**
     * Runs a batch built by {@link #add} on several generators of one decoder, and hands each generator
     * that asked for logits its row ({@code wanting} in the order their segments were added).
     *
     * @param scratch at least {@code wanting.length × vocab} floats
     */
    public static void forward(Decoder decoder, DecoderBatch b, Generator[] wanting, int count, float[] scratch) {
        decoder.forward(b, scratch);
        int vocab = decoder.config().vocabSize();
        for (int i = 0; i < count; i++) {
            System.arraycopy(scratch, i * vocab, wanting[i].logits, 0, vocab);
        }
    }

    /** Adds time spent on this sequence's prompt or generated tokens inside a shared batch. */
    public void addTimings(long prefillTokens, long prefillNanos, long decodeTokens, long decodeNanos) {
        this.prefillTokens += prefillTokens;
        this.prefillNanos += prefillNanos;
        this.decodeTokens += decodeTokens;
        this.decodeNanos += decodeNanos;
    }

    /** Forgets the sequence (the cache's pages are kept for reuse). */
    public void reset() {
        length = 0;
    }

    /** Time spent and tokens run in prefill and in decode since creation or {@link #resetTimings()}. */
    public Timings timings() {
        return new Timings(prefillTokens, prefillNanos, decodeTokens, decodeNanos);
    }

    /** Zeroes the timings. */
    public void resetTimings() {
        prefillNanos = prefillTokens = decodeNanos = decodeTokens = 0;
    }

    private void checkFits(int needed) {
        if (needed > cache.capacity()) {
            throw new ContextOverflowException(needed, cache.capacity());
        }
    }

    private void ensureCapacity(int needed) {
        if (tokens.length < needed) {
            tokens = Arrays.copyOf(tokens, Math.max(needed, tokens.length * 2));
        }
    }

    /** Frees the cache. */
    @Override
    public void close() {
        cache.close();
    }

    /**
     * Work done so far.
     *
     * @param prefillTokens prompt tokens computed (not those reused from the cache)
     * @param prefillNanos time spent on them
     * @param decodeTokens tokens appended one at a time
     * @param decodeNanos time spent on them
     */
    public record Timings(long prefillTokens, long prefillNanos, long decodeTokens, long decodeNanos) {
        /** Prompt tokens per second. */
        public double prefillTokensPerSecond() {
            return prefillNanos == 0 ? 0 : prefillTokens * 1e9 / prefillNanos;
        }

        /** Generated tokens per second. */
        public double decodeTokensPerSecond() {
            return decodeNanos == 0 ? 0 : decodeTokens * 1e9 / decodeNanos;
        }
    }
}
