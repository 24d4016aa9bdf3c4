package dev.jllm.core.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The float arrays a tape lends to op outputs, gradients and saved state during one step, taken
 * back all at once by {@link #reset()}. A training step asks for the same sizes in the same order
 * every time, so after the first step it allocates nothing.
 */
final class Workspace {
    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private final ArrayList<float[]> lent = new ArrayList<>();
    private long lentFloats;

    /** An array of exactly {@code size} floats with arbitrary contents. */
    float[] take(int size) {
        ArrayDeque<float[]> pool = free.get(size);
        float[] a = pool == null ? null : pool.pollLast();
        if (a == null) {
            a = new float[size];
        }
        lent.add(a);
        lentFloats += size;
        return a;
    }

    /** An array of exactly {@code size} zeros. */
    float[] zeroed(int size) {
        float[] a = take(size);
        Arrays.fill(a, 0f);
        return a;
    }

    /** Takes back every array lent since the last reset. */
    void reset() {
        for (float[] a : lent) {
            free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
        }
        lent.clear();
        lentFloats = 0;
    }

    /** Floats lent since the last reset. */
    long lentFloats() {
        return lentFloats;
    }
}
