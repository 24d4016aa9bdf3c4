package dev.jllm.formats.tokenizer.bpe;

/** Which adjacent pair of ids merges, into what, and how early. */
public interface MergeRule {
    /** {@code priority << 32 | merged} for the pair (lower priority merges first), or -1 when it does not merge. */
    long get(int left, int right);
}
