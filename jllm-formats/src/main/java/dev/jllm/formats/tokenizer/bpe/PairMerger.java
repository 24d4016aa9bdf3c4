package dev.jllm.formats.tokenizer.bpe;

import java.util.Arrays;

/**
 * The BPE merge loop: repeatedly merges the adjacent pair with the best (lowest) priority, the
 * leftmost on ties, until no pair merges. A heap of (priority, position) with stale entries
 * skipped on pop keeps long words at n log n. Negative ids are symbols that never merge.
 */
public final class PairMerger {
    private PairMerger() {
    }

    /** Merges in place and returns the resulting ids. */
    public static int[] merge(int[] symbols, MergeRule table) {
        int n = symbols.length;
        if (n < 2) {
            return symbols;
        }
        int[] sym = symbols.clone();
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] dead = new boolean[n];
        long[] heap = new long[Math.max(8, n * 2)];
        int heapSize = 0;
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        for (int i = 0; i + 1 < n; i++) {
            long v = table.get(sym[i], sym[i + 1]);
            if (v >= 0) {
                if (heapSize == heap.length) {
                    heap = Arrays.copyOf(heap, heapSize * 2);
                }
                heapSize = push(heap, heapSize, ((v >>> 32) << 32) | i);
            }
        }
        while (heapSize > 0) {
            long top = heap[0];
            heapSize = pop(heap, heapSize);
            int pos = (int) top;
            int priority = (int) (top >>> 32);
            if (dead[pos]) {
                continue;
            }
            int r = next[pos];
            if (r < 0) {
                continue;
            }
            long v = table.get(sym[pos], sym[r]);
            if (v < 0 || (int) (v >>> 32) != priority) {
                continue; // stale: the pair changed since it was queued
            }
            sym[pos] = (int) v;
            dead[r] = true;
            next[pos] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = pos;
            }
            if (heapSize + 2 > heap.length) {
                heap = Arrays.copyOf(heap, heap.length * 2);
            }
            if (prev[pos] >= 0) {
                long lv = table.get(sym[prev[pos]], sym[pos]);
                if (lv >= 0) {
                    heapSize = push(heap, heapSize, ((lv >>> 32) << 32) | prev[pos]);
                }
            }
            if (next[pos] >= 0) {
                long rv = table.get(sym[pos], sym[next[pos]]);
                if (rv >= 0) {
                    heapSize = push(heap, heapSize, ((rv >>> 32) << 32) | pos);
                }
            }
        }
        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            sym[count++] = sym[i];
        }
        return Arrays.copyOf(sym, count);
    }

    private static int push(long[] heap, int size, long key) {
        int i = size;
        heap[i] = key;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= heap[i]) {
                break;
            }
            long t = heap[parent];
            heap[parent] = heap[i];
            heap[i] = t;
            i = parent;
        }
        return size + 1;
    }

    private static int pop(long[] heap, int size) {
        size--;
        heap[0] = heap[size];
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                break;
            }
            int m = l + 1 < size && heap[l + 1] < heap[l] ? l + 1 : l;
            if (heap[i] <= heap[m]) {
                break;
            }
            long t = heap[m];
            heap[m] = heap[i];
            heap[i] = t;
            i = m;
        }
        return size;
    }
}
