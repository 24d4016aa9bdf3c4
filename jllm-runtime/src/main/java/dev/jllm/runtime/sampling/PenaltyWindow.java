package dev.jllm.runtime.sampling;

import java.util.Arrays;

/**
 * The recent tokens the penalties look at: a ring of the last {@code capacity} accepted ids (or every id
 * when the capacity is unbounded), with a count per id and the list of distinct ids, all kept up to date
 * on each {@link #accept}, so applying the penalties costs the number of distinct recent tokens, not the
 * vocabulary size.
 */
final class PenaltyWindow {
    private final int vocabSize;
    private final int capacity; // -1: unbounded
    private final int[] counts;
    private final int[] distinct;
    private final int[] slotOf; // position of an id in distinct, valid while its count > 0
    private int distinctSize;
    private int[] ring;
    private int ringStart;
    private int ringSize;

    /** {@code capacity} -1 keeps every accepted token, 0 keeps none. */
    PenaltyWindow(int vocabSize, int capacity) {
        this.vocabSize = vocabSize;
        this.capacity = capacity;
        int tracked = capacity == 0 ? 0 : vocabSize; // a switched-off window holds nothing
        this.counts = new int[tracked];
        this.distinct = new int[tracked];
        this.slotOf = new int[tracked];
        this.ring = capacity > 0 ? new int[capacity] : new int[0];
    }

    void accept(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new IllegalArgumentException(
                    "token id " + token + " is outside the vocabulary [0, " + vocabSize + ")");
        }
        if (capacity == 0) {
            return;
        }
        if (capacity > 0 && ringSize == capacity) {
            int evicted = ring[ringStart];
            ring[ringStart] = token;
            ringStart = (ringStart + 1) % capacity;
            decrement(evicted);
        } else if (capacity > 0) {
            ring[(ringStart + ringSize) % capacity] = token;
            ringSize++;
        } else {
            ringSize++;
        }
        increment(token);
    }

    /** Forgets every accepted token. */
    void clear() {
        for (int i = 0; i < distinctSize; i++) {
            counts[distinct[i]] = 0;
        }
        distinctSize = 0;
        ringStart = 0;
        ringSize = 0;
        Arrays.fill(ring, 0);
    }

    /** How many times {@code token} occurs in the window. */
    int count(int token) {
        return counts[token];
    }

    /** Number of distinct ids in the window. */
    int distinctCount() {
        return distinctSize;
    }

    /** The i-th distinct id in the window (in no particular order). */
    int distinctToken(int i) {
        return distinct[i];
    }

    /** Tokens in the window, counting repeats. */
    int size() {
        return ringSize;
    }

    private void increment(int token) {
        if (counts[token]++ == 0) {
            slotOf[token] = distinctSize;
            distinct[distinctSize++] = token;
        }
    }

    private void decrement(int token) {
        if (--counts[token] == 0) {
            int slot = slotOf[token];
            int last = distinct[--distinctSize];
            distinct[slot] = last;
            slotOf[last] = slot;
        }
    }
}
