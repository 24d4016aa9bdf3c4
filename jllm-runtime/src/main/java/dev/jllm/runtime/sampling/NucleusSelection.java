package dev.jllm.runtime.sampling;

import java.util.Arrays;

/**
 * Top-p without a full sort: finds the shortest best-first prefix of a candidate set whose weight reaches
 * a target by quickselect on the ranking keys, carrying the weight of the part already known to be in the
 * prefix. Expected O(m) for m candidates instead of O(m log m); the prefix comes back in {@code keys[0..n)}
 * unordered (except that it is exactly the n best).
 */
final class NucleusSelection {
    /** Below this many keys the rest is sorted and walked. */
    private static final int SMALL = 48;

    private NucleusSelection() {
    }

    /**
     * Reorders {@code keys[0..m)} so that {@code keys[0..n)} are the n best candidates ({@link CandidateKey}
     * order), for the smallest n whose summed weight ({@code weight[id]}) reaches {@code need}; returns n,
     * or 0 if all m together fall short.
     */
    static int select(long[] keys, int m, float[] weight, double need) {
        int lo = 0;
        int hi = m;
        double before = 0; // weight of keys[0..lo), all of which are in the prefix
        while (hi - lo > SMALL) {
            int p = partition(keys, lo, hi);
            double left = 0;
            for (int i = lo; i < p; i++) {
                left += weight[CandidateKey.id(keys[i])];
            }
            if (before + left >= need) {
                hi = p;
            } else if (before + left + weight[CandidateKey.id(keys[p])] >= need) {
                return p + 1;
            } else {
                before += left + weight[CandidateKey.id(keys[p])];
                lo = p + 1;
            }
        }
        Arrays.sort(keys, lo, hi);
        double cum = before;
        for (int i = lo; i < hi; i++) {
            cum += weight[CandidateKey.id(keys[i])];
            if (cum >= need) {
                return i + 1;
            }
        }
        return hi == m ? 0 : hi; // hi < m: the part left of a pivot reached the need, rounding aside
    }

    /**
     * Partitions {@code keys[lo..hi)} around a median-of-three pivot; returns the pivot's final index, with
     * smaller (better) keys before it and larger after. Keys are distinct (they hold the token id).
     */
    private static int partition(long[] keys, int lo, int hi) {
        int mid = (lo + hi) >>> 1;
        int last = hi - 1;
        // median of three moved to the end
        if (keys[mid] < keys[lo]) {
            swap(keys, mid, lo);
        }
        if (keys[last] < keys[lo]) {
            swap(keys, last, lo);
        }
        if (keys[mid] < keys[last]) {
            swap(keys, mid, last);
        }
        long pivot = keys[last];
        int store = lo;
        for (int i = lo; i < last; i++) {
            if (keys[i] < pivot) {
                swap(keys, i, store++);
            }
        }
        swap(keys, store, last);
        return store;
    }

    private static void swap(long[] a, int i, int j) {
        long t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
