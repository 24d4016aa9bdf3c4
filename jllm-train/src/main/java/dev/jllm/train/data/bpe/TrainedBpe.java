package dev.jllm.train.data.bpe;

import java.util.List;

/**
 * The result of BPE training: the vocabulary in id order (special tokens first, then the 256 byte
 * symbols, then one token per merge that made a new string) and the merges in the order learned, as
 * GPT-2 byte-level strings.
 *
 * @param tokens token strings by id
 * @param merges merged pairs {@code [left, right]} in rank order
 * @param specialTokens the special tokens (ids 0 .. n-1)
 * @param pattern the pre-tokenizer's split regex
 */
public record TrainedBpe(List<String> tokens, List<String[]> merges, List<String> specialTokens, String pattern) {
    /** Number of tokens, specials included. */
    public int vocabSize() {
        return tokens.size();
    }
}
