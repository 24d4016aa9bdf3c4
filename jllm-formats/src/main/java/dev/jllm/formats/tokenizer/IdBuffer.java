package dev.jllm.formats.tokenizer;

import java.util.Arrays;

/** A growable list of token ids without boxing. */
public final class IdBuffer {
    private int[] ids = new int[64];
    private int size;

    /** Appends one id. */
    public void add(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
    }

    /** Appends all ids of an array. */
    public void addAll(int[] more) {
        if (size + more.length > ids.length) {
            ids = Arrays.copyOf(ids, Math.max(ids.length * 2, size + more.length));
        }
        System.arraycopy(more, 0, ids, size, more.length);
        size += more.length;
    }

    /** Number of ids. */
    public int size() {
        return size;
    }

    /** The id at an index. */
    public int get(int i) {
        return ids[i];
    }

    /** Drops ids from {@code newSize} on. */
    public void truncate(int newSize) {
        size = Math.min(size, newSize);
    }

    /** A copy of the ids. */
    public int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
