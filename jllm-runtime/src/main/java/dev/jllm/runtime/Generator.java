package dev.jllm.runtime;

import dev.jllm.core.tensor.DType;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.Decoder;
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
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        checkFits(prompt.length);
        int keep = 0;
        int limit = Math.min(length, prompt.length - 1);
        while (keep < limit && tokens[keep] == prompt[keep]) {
            keep++;
        }
        length = keep;
        ensureCapacity(prompt.length);
        long start = System.nanoTime();
        for (int from = keep; from < prompt.length; from += prefillChunk) {
            int count = Math.min(prefillChunk, prompt.length - from);
            decoder.forward(prompt, from, count, from, cache, logits);
            System.arraycopy(prompt, from, tokens, from, count);
            length = from + count;
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
        checkFits(length + 1);
        ensureCapacity(length + 1);
        long start = System.nanoTime();
        tokens[length] = token;
        decoder.forward(tokens, length, 1, length, cache, logits);
        length++;
        decodeNanos += System.nanoTime() - start;
        decodeTokens++;
        return logits;
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
