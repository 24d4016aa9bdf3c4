/**
 * Log-likelihood scoring of continuations over a {@link dev.jllm.model.decoder.Decoder}: requests tokenized as
 * lm-evaluation-harness tokenizes them, choices of one question sharing the context's KV cache, and rolling
 * windows over long texts for perplexity.
 */
package dev.jllm.eval.scoring;
