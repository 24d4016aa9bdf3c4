package dev.jllm.eval.scoring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The windows of lm-evaluation-harness's {@code loglikelihood_rolling}: every token of a text is scored once, in
 * windows of at most {@code maxLength} predicted tokens. The first window predicts the first tokens after the
 * prefix token; each later one predicts the next tokens with as much of the text before them as fits (one token
 * at least), so every window but the first reads a full {@code maxLength} tokens unless the text is shorter.
 * Summing the windows' log-likelihoods gives the text's.
 */
public final class RollingWindows {
    private RollingWindows() {
    }

    /**
     * The windows of {@code tokens} as (context, continuation) pairs, as the harness's
     * {@code get_rolling_token_windows} with a context length of 1, each made disjoint.
     *
     * @param prefix the token the first window's first prediction is made after
     */
    public static List<TokenPair> of(int[] tokens, int prefix, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("the window length must be positive, got " + maxLength);
        }
        List<TokenPair> out = new ArrayList<>();
        if (tokens.length == 0) {
            return out;
        }
        int first = Math.min(maxLength, tokens.length);
        out.add(new TokenPair(new int[] {prefix}, Arrays.copyOf(tokens, first)));
        int predicted = first;
        while (predicted < tokens.length) {
            int count = Math.min(tokens.length - predicted, maxLength);
            int end = predicted + count;
            // the window reads tokens[end-maxLength-1 .. end-1); what it does not predict is its context
            int from = Math.max(0, end - maxLength - 1);
            out.add(new TokenPair(Arrays.copyOfRange(tokens, from, predicted), Arrays.copyOfRange(tokens, predicted, end)));
            predicted = end;
        }
        return out;
    }
}
