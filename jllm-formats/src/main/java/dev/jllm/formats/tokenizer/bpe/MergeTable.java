package dev.jllm.formats.tokenizer.bpe;

/**
 * Which adjacent pair of ids merges into which id, at which priority (lower merges first).
 * An open-addressing hash table keyed by the pair, so the merge loop does no boxing.
 */
public final class MergeTable implements MergeRule {
    private static final long EMPTY = -1L;
    private long[] keys;
    private long[] values;
    private int size;

    /** An empty table sized for about {@code expected} pairs. */
    public MergeTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        java.util.Arrays.fill(keys, EMPTY);
    }

    /**
     * Adds a merge unless the pair already has one with an equal or better priority.
     *
     * @throws IllegalArgumentException for negative ids or priority
     */
    public void put(int left, int right, int priority, int merged) {
        if (left < 0 || right < 0 || merged < 0 || priority < 0) {
            throw new IllegalArgumentException("merge (" + left + "," + right + ")->" + merged + " priority " + priority);
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        long key = ((long) left << 32) | (right & 0xFFFFFFFFL);
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) {
                if ((int) (values[slot] >>> 32) > priority) {
                    values[slot] = ((long) priority << 32) | merged;
                }
                return;
            }
            slot = (slot + 1) & (keys.length - 1);
        }
        keys[slot] = key;
        values[slot] = ((long) priority << 32) | merged;
        size++;
    }

    @Override
    public long get(int left, int right) {
        if (left < 0 || right < 0) {
            return -1;
        }
        long key = ((long) left << 32) | (right & 0xFFFFFFFFL);
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) {
                return values[slot];
            }
            if (k == EMPTY) {
                return -1;
            }
            slot = (slot + 1) & (keys.length - 1);
        }
    }

    /** Number of pairs. */
    public int size() {
        return size;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & (keys.length - 1);
    }

    private void grow() {
        long[] oldK = keys;
        long[] oldV = values;
        keys = new long[oldK.length * 2];
        values = new long[oldK.length * 2];
        java.util.Arrays.fill(keys, EMPTY);
        for (int i = 0; i < oldK.length; i++) {
            if (oldK[i] != EMPTY) {
                int slot = slot(oldK[i]);
                while (keys[slot] != EMPTY) {
                    slot = (slot + 1) & (keys.length - 1);
                }
                keys[slot] = oldK[i];
                values[slot] = oldV[i];
            }
        }
    }
}
