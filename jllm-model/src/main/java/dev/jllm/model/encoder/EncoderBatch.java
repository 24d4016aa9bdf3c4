package dev.jllm.model.encoder;

import java.util.Arrays;

/**
 * Sequences to encode together, packed: the tokens of every sequence one after another, each with its
 * token type and position. Padding never enters a batch: a padded row with an attention mask is added
 * as its unmasked tokens at their original positions ({@link #addMasked}), which is what the mask means
 * (masked tokens are seen by no query), without spending work on them.
 */
public final class EncoderBatch {
    private int[] ids = new int[64];
    private int[] types = new int[64];
    private int[] positions = new int[64];
    private int[] offsets = new int[8];
    private int[] counts = new int[8];
    private int tokens;
    private int sequences;

    /**
     * Adds a sequence whose positions are 0, 1, ….
     *
     * @param typeIds token types (segment ids) of the tokens, or null for all 0
     * @throws IllegalArgumentException if the sequence is empty or the types have another length
     */
    public EncoderBatch add(int[] tokenIds, int[] typeIds) {
        if (typeIds != null && typeIds.length != tokenIds.length) {
            throw new IllegalArgumentException(tokenIds.length + " tokens but " + typeIds.length + " token types");
        }
        int[] mask = new int[tokenIds.length];
        Arrays.fill(mask, 1);
        return addMasked(tokenIds, typeIds, mask, 0, tokenIds.length);
    }

    /**
     * Adds row {@code [from, from + length)} of a padded batch: the tokens whose {@code mask} is non-zero,
     * at their positions within the row.
     *
     * @param typeIds token types of the padded batch, or null for all 0
     * @throws IllegalArgumentException if the row has no unmasked token or runs past an array
     */
    public EncoderBatch addMasked(int[] tokenIds, int[] typeIds, int[] mask, int from, int length) {
        if (from < 0 || length < 0 || from + length > tokenIds.length || from + length > mask.length
                || (typeIds != null && from + length > typeIds.length)) {
            throw new IllegalArgumentException("row " + from + ".." + (from + length) + " runs past the batch's "
                    + tokenIds.length + " tokens");
        }
        int kept = 0;
        for (int i = 0; i < length; i++) {
            kept += mask[from + i] != 0 ? 1 : 0;
        }
        if (kept == 0) {
            throw new IllegalArgumentException("sequence " + sequences + " has no token to encode");
        }
        grow(tokens + kept);
        if (sequences == offsets.length) {
            offsets = Arrays.copyOf(offsets, sequences * 2);
            counts = Arrays.copyOf(counts, sequences * 2);
        }
        offsets[sequences] = tokens;
        counts[sequences] = kept;
        for (int i = 0; i < length; i++) {
            if (mask[from + i] != 0) {
                ids[tokens] = tokenIds[from + i];
                types[tokens] = typeIds == null ? 0 : typeIds[from + i];
                positions[tokens] = i;
                tokens++;
            }
        }
        sequences++;
        return this;
    }

    private void grow(int size) {
        if (size > ids.length) {
            int n = Math.max(size, ids.length * 2);
            ids = Arrays.copyOf(ids, n);
            types = Arrays.copyOf(types, n);
            positions = Arrays.copyOf(positions, n);
        }
    }

    /** Empties the batch for reuse. */
    public EncoderBatch clear() {
        tokens = 0;
        sequences = 0;
        return this;
    }

    /** Number of sequences. */
    public int sequences() {
        return sequences;
    }

    /** Number of tokens of all sequences together. */
    public int tokenCount() {
        return tokens;
    }

    /** Index of sequence {@code s}'s first token in the packed batch. */
    public int offset(int s) {
        return offsets[s];
    }

    /** Number of tokens of sequence {@code s}. */
    public int count(int s) {
        return counts[s];
    }

    /** Token id of packed token {@code t}. */
    int id(int t) {
        return ids[t];
    }

    /** Token type of packed token {@code t}. */
    int type(int t) {
        return types[t];
    }

    /** Position of packed token {@code t} within its sequence. */
    int position(int t) {
        return positions[t];
    }
}
