package dev.jllm.formats.tokenizer.bpe;

import java.util.Map;

/**
 * tiktoken's rule: a pair merges when the concatenation of its strings is a token, and the
 * token's rank (its id) is the priority. Looked up on demand, so loading builds no pair table.
 */
public final class ConcatenationRanks implements MergeRule {
    private final String[] tokens;
    private final Map<String, Integer> ranks;

    /**
     * @param tokens token strings by id (= rank)
     * @param ranks the inverse map
     */
    public ConcatenationRanks(String[] tokens, Map<String, Integer> ranks) {
        this.tokens = tokens;
        this.ranks = ranks;
    }

    @Override
    public long get(int left, int right) {
        if (left < 0 || right < 0 || left >= tokens.length || right >= tokens.length) {
            return -1;
        }
        Integer merged = ranks.get(tokens[left].concat(tokens[right]));
        return merged == null ? -1 : ((long) merged << 32) | merged;
    }
}
