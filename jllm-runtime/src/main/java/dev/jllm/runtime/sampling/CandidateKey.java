package dev.jllm.runtime.sampling;

/**
 * A candidate token packed into one {@code long} whose natural (signed) order is the sampler's ranking:
 * higher logit first, and on equal logits the lower token id first. Sorting an array of keys therefore
 * ranks candidates without boxing or a comparator.
 */
final class CandidateKey {
    private CandidateKey() {
    }

    /** The key of token {@code id} with logit {@code logit} (−0 and +0 rank as equal). */
    static long of(float logit, int id) {
        int bits = Float.floatToIntBits(logit + 0.0f); // + 0 turns -0 into +0
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff); // signed-int order equals float order
        return ((long) ~ascending << 32) | (id & 0xffffffffL);
    }

    /** The token id held in {@code key}. */
    static int id(long key) {
        return (int) key;
    }
}
