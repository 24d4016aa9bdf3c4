package dev.jllm.model.decoder;

import dev.jllm.model.cache.KvCache;
import java.util.Arrays;

/**
 * Tokens of several sequences run through the decoder in one call, each sequence with its own KV
 * cache: continuous batching. Every projection then reads each weight once for all of them (a GEMM
 * over the batch), while attention runs per sequence against its own cache.
 *
 * <p>A segment is a run of consecutive tokens of one sequence: one token for a sequence that is
 * decoding, a chunk of its prompt for one that is prefilling. Segments that ask for logits get the
 * logits of their last token, in the order the segments were added. A batch is reusable: {@link
 * #clear()} and add again.
 */
public final class DecoderBatch {
    private int[] tokens = new int[16];
    private int tokenCount;
    private KvCache[] caches = new KvCache[4];
    private int[] starts = new int[4];
    private int[] counts = new int[4];
    private int[] offsets = new int[4];
    private boolean[] wantsLogits = new boolean[4];
    private int segments;

    /** Empties the batch. */
    public DecoderBatch clear() {
        Arrays.fill(caches, 0, segments, null);
        tokenCount = 0;
        segments = 0;
        return this;
    }

    /**
     * Adds {@code count} tokens {@code ids[from ..]} of the sequence whose cache is {@code cache}, at
     * positions {@code start ..}.
     *
     * @param logits whether to compute the logits after the segment's last token
     * @throws IllegalArgumentException if the count is not positive, the positions do not fit the cache, or
     *     the cache already has a segment in this batch
     */
    public DecoderBatch add(KvCache cache, int[] ids, int from, int count, int start, boolean logits) {
        if (count <= 0) {
            throw new IllegalArgumentException("a batch segment needs at least one token, got " + count);
        }
        if (start < 0 || start + count > cache.capacity()) {
            throw new IllegalArgumentException("positions " + start + ".." + (start + count - 1)
                    + " do not fit the context of " + cache.capacity() + " tokens");
        }
        for (int s = 0; s < segments; s++) {
            if (caches[s] == cache) {
                throw new IllegalArgumentException("a sequence may have only one segment per batch");
            }
        }
        if (segments == caches.length) {
            int n = segments * 2;
            caches = Arrays.copyOf(caches, n);
            starts = Arrays.copyOf(starts, n);
            counts = Arrays.copyOf(counts, n);
            offsets = Arrays.copyOf(offsets, n);
            wantsLogits = Arrays.copyOf(wantsLogits, n);
        }
        if (tokenCount + count > tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.max(tokenCount + count, tokens.length * 2));
        }
        System.arraycopy(ids, from, tokens, tokenCount, count);
        caches[segments] = cache;
        starts[segments] = start;
        counts[segments] = count;
        offsets[segments] = tokenCount;
        wantsLogits[segments] = logits;
        segments++;
        tokenCount += count;
        return this;
    }

    /** Tokens in the batch, all segments together. */
    public int tokenCount() {
        return tokenCount;
    }

    /** Segments in the batch. */
    public int segments() {
        return segments;
    }

    /** How many segments want logits: the rows the logits buffer must hold. */
    public int logitRows() {
        int n = 0;
        for (int s = 0; s < segments; s++) {
            n += wantsLogits[s] ? 1 : 0;
        }
        return n;
    }

    int[] tokens() {
        return tokens;
    }

    KvCache cache(int segment) {
        return caches[segment];
    }

    int start(int segment) {
        return starts[segment];
    }

    int count(int segment) {
        return counts[segment];
    }

    int offset(int segment) {
        return offsets[segment];
    }

    boolean wantsLogits(int segment) {
        return wantsLogits[segment];
    }
}
