package dev.jllm.runtime.sampling;

/**
 * The tokens a {@link Sampler} would draw from for one set of logits and their probabilities at the
 * sampling temperature, most likely first (lower id on ties). Greedy parameters give the argmax alone
 * with probability 1. Meant for inspection and tests; {@link Sampler#sample} never builds it.
 *
 * @param ids           surviving token ids, best first
 * @param probabilities their probabilities, summing to 1
 */
public record Candidates(int[] ids, double[] probabilities) {

    /** Copies the arrays and checks they pair up. */
    public Candidates {
        if (ids.length != probabilities.length) {
            throw new IllegalArgumentException(
                    "ids and probabilities differ in length: " + ids.length + " vs " + probabilities.length);
        }
        ids = ids.clone();
        probabilities = probabilities.clone();
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public double[] probabilities() {
        return probabilities.clone();
    }

    /** Number of surviving tokens. */
    public int size() {
        return ids.length;
    }
}
