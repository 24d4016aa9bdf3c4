package dev.jllm.runtime.stop;

import java.util.Arrays;
import java.util.Collection;

/**
 * The token ids that end a generation: every end-of-sequence / end-of-turn id a model declares (for
 * Llama 3 both {@code <|eot_id|>} and {@code <|end_of_text|>}). Immutable.
 */
public final class StopTokens {
    private static final StopTokens NONE = new StopTokens(new int[0]);

    private final int[] ids; // sorted, distinct

    private StopTokens(int[] sortedDistinct) {
        this.ids = sortedDistinct;
    }

    /** No stop token (e.g. a model without a vocabulary, run for a fixed number of tokens). */
    public static StopTokens none() {
        return NONE;
    }

    /**
     * The given ids; duplicates are ignored.
     *
     * @throws IllegalArgumentException on a negative id
     */
    public static StopTokens of(int... ids) {
        int[] sorted = ids.clone();
        for (int id : sorted) {
            if (id < 0) {
                throw new IllegalArgumentException("stop token id must be >= 0, got " + id);
            }
        }
        Arrays.sort(sorted);
        return new StopTokens(Arrays.stream(sorted).distinct().toArray());
    }

    /**
     * The given ids; duplicates are ignored.
     *
     * @throws IllegalArgumentException on a null or negative id
     */
    public static StopTokens of(Collection<Integer> ids) {
        int[] a = new int[ids.size()];
        int i = 0;
        for (Integer id : ids) {
            if (id == null) {
                throw new IllegalArgumentException("stop token id must not be null");
            }
            a[i++] = id;
        }
        return of(a);
    }

    /** Whether {@code token} ends the generation. */
    public boolean contains(int token) {
        return Arrays.binarySearch(ids, token) >= 0;
    }

    /** The ids, ascending. */
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public String toString() {
        return "StopTokens" + Arrays.toString(ids);
    }
}
