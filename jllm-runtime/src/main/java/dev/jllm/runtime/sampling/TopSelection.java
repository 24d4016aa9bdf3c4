package dev.jllm.runtime.sampling;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Selects the k best candidates of a logit array (higher logit first, lower id on ties, −∞ never) without
 * sorting the vocabulary: a bounded heap of k keys whose worst entry is the admission bar, and a vector
 * compare that skips every block of logits below the bar. Costs one pass plus O(k log k).
 */
final class TopSelection {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

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
        int n = x.length;
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += F.length()) {
            if (!FloatVector.fromArray(F, x, i).compare(VectorOperators.GT, bar).anyTrue()) {
                continue;
            }
            for (int j = i; j < i + F.length(); j++) {
                if (x[j] > bar) {
                    size = offer(keysOut, size, k, x[j], j);
                    if (size == k) {
                        bar = logitOf(keysOut[0], x);
                    }
                }
            }
        }
        for (; i < n; i++) {
            if (x[i] > bar) {
                size = offer(keysOut, size, k, x[i], i);
                if (size == k) {
                    bar = logitOf(keysOut[0], x);
                }
            }
        }
        Arrays.sort(keysOut, 0, size);
        return size;
    }

    private static float logitOf(long key, float[] x) {
        return x[CandidateKey.id(key)];
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
