package dev.jllm.eval.scoring;

/**
 * The score of one continuation after a context.
 *
 * @param logLikelihood the sum of the natural-log probabilities of the continuation's tokens
 * @param greedy whether every continuation token was the model's most likely next token
 * @param tokens how many tokens the continuation has
 */
public record ContinuationScore(double logLikelihood, boolean greedy, int tokens) {
}
