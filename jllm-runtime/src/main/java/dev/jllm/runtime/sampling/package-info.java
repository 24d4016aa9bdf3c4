/**
 * Choosing the next token: {@link dev.jllm.runtime.sampling.SamplingParams} (temperature, top-k, top-p,
 * min-p, penalties, logit bias, seed), the {@link dev.jllm.runtime.sampling.Sampler} that applies them in
 * llama.cpp's order, and {@link dev.jllm.runtime.sampling.TokenLogprobs} for OpenAI-style log-probabilities.
 */
package dev.jllm.runtime.sampling;
