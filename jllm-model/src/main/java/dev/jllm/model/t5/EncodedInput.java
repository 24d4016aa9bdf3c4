package dev.jllm.model.t5;

import dev.jllm.model.cache.KvCache;

/**
 * One input after the encoder: its output rows and, per decoder block, the cross-attention keys and values
 * over them, computed once and read by every decoding step. Closing it frees the cache.
 */
public final class EncodedInput implements AutoCloseable {
    private final float[] output;
    private final int length;
    private final KvCache crossCache;

    EncodedInput(float[] output, int length, KvCache crossCache) {
        this.output = output;
        this.length = length;
        this.crossCache = crossCache;
    }

    /** The final-normed encoder output, {@code length × dim} row-major; do not modify. */
    public float[] output() {
        return output;
    }

    /** Input tokens. */
    public int length() {
        return length;
    }

    /** The cross-attention keys and values of every decoder block, one position per input token. */
    public KvCache crossCache() {
        return crossCache;
    }

    /** Frees the cross-attention cache. */
    @Override
    public void close() {
        crossCache.close();
    }
}
