package dev.jllm.runtime.sampling;

import java.util.Arrays;

/**
 * Selects the k best candidates of a logit array (higher logit first, lower id on ties, −∞ never) without
 * sorting the vocabulary: a bounded heap of k keys whose worst entry is the admission bar; once the heap
 * is full almost every logit fails one compare against the bar. Costs one pass plus O(k log V/k) heap
 * updates on random order, and O(k log k) for the final sort.
 */
final class TopSelection {
    private TopSelection() {
    }

    /**
     * Writes the keys ({@link CandidateKey}) of the {@code min(k, finite count)} best entries of {@code x}
     * into {@code keysOut}, best first, and returns how many.
     */
    static int select(float[] x, int k, long[] keysOut) {
        if (k <= 0) {
            return 0;
        }
        // keysOut[0..size) is a max-heap on the key: the root is the worst kept candidate
        int size = 0;
        float bar = Float.NEGATIVE_INFINITY; // admit anything strictly above this
        for (int i = 0; i < x.length; i++) {
            if (x[i] > bar) { // rare once the heap is full: a predictable branch
                size = offer(keysOut, size, k, x[i], i);
                if (size == k) {
                    bar = x[CandidateKey.id(keysOut[0])];
                }
            }
        }
        Arrays.sort(keysOut, 0, size);
        return size;
    }

    /** Adds a candidate known to beat the root (or fills a heap not yet full); returns the new size. */
    private static int offer(long[] heap, int size, int k, float logit, int id) {
        long key = CandidateKey.of(logit, id);
        if (size < k) {
            int c = size;
            heap[c] = key;
            while (c > 0) {
                int p = (c - 1) >>> 1;
                if (heap[p] >= heap[c]) {
                    break;
                }
                long t = heap[p];
                heap[p] = heap[c];
                heap[c] = t;
                c = p;
            }
            return size + 1;
        }
        heap[0] = key;
        int c = 0;
        while (true) {
            int l = 2 * c + 1;
            if (l >= size) {
                break;
            }
            int big = l + 1 < size && heap[l + 1] > heap[l] ? l + 1 : l;
            if (heap[c] >= heap[big]) {
                break;
            }
            long t = heap[c];
            heap[c] = heap[big];
            heap[big] = t;
            c = big;
        }
        return size;
    }
}
