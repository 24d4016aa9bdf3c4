package dev.jllm.runtime.sampling;

/**
 * Log-probabilities for one generated position, in the shape of OpenAI's {@code logprobs} /
 * {@code top_logprobs}: the natural-log probability of the chosen token and of the {@code topN} most
 * likely tokens (most likely first, lower id on ties).
 *
 * <p>They are the log-softmax of the logits after logit bias and penalties, over the whole vocabulary, at
 * temperature 1 and before top-k / top-p / min-p: the model's distribution as the request shaped it,
 * not the truncated one the token was drawn from (which would give filtered tokens −∞). This is what
 * OpenAI reports and what vLLM reports by default.
 *
 * @param token        the chosen token
 * @param logprob      its log-probability (−∞ if its logit was −∞)
 * @param topTokens    the most likely tokens, best first
 * @param topLogprobs  their log-probabilities, same order
 */
public record TokenLogprobs(int token, double logprob, int[] topTokens, double[] topLogprobs) {

    /** Checks that the two top arrays pair up. */
    public TokenLogprobs {
        if (topTokens.length != topLogprobs.length) {
            throw new IllegalArgumentException("topTokens and topLogprobs differ in length: "
                    + topTokens.length + " vs " + topLogprobs.length);
        }
        topTokens = topTokens.clone();
        topLogprobs = topLogprobs.clone();
    }

    @Override
    public int[] topTokens() {
        return topTokens.clone();
    }

    @Override
    public double[] topLogprobs() {
        return topLogprobs.clone();
    }

    /**
     * The log-softmax of {@code logits} (taken as they are) for {@code token} and the {@code topN} most
     * likely tokens. The logits must hold no NaN or +∞ and at least one finite value.
     */
    public static TokenLogprobs of(float[] logits, int token, int topN) {
        if (token < 0 || token >= logits.length) {
            throw new IllegalArgumentException(
                    "token id " + token + " is outside the vocabulary [0, " + logits.length + ")");
        }
        if (topN < 0 || topN > logits.length) {
            throw new IllegalArgumentException(
                    "topN must lie in [0, " + logits.length + "], got " + topN);
        }
        float max = LogitScan.max(logits);
        if (Float.isNaN(max) || max == Float.POSITIVE_INFINITY || max == Float.NEGATIVE_INFINITY) {
            for (int i = 0; i < logits.length; i++) {
                if (Float.isNaN(logits[i]) || logits[i] == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException(
                            "logit at index " + i + " is " + logits[i] + "; logits must be finite or -Infinity");
                }
            }
            throw new IllegalArgumentException("every logit is -Infinity: there is no distribution");
        }
        double logZ = Math.log(LogitScan.expSum(logits, max));
        long[] keys = new long[Math.max(topN, 1)];
        int n = TopSelection.select(logits, topN, keys);
        int[] ids = new int[n];
        double[] lps = new double[n];
        for (int i = 0; i < n; i++) {
            ids[i] = CandidateKey.id(keys[i]);
            lps[i] = ((double) logits[ids[i]] - max) - logZ;
        }
        return new TokenLogprobs(token, ((double) logits[token] - max) - logZ, ids, lps);
    }
}
