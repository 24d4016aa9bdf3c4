/**
 * Evaluation of language models as lm-evaluation-harness does it: tasks read from local data folders,
 * prompts built byte for byte as the harness builds them, continuations scored by log-likelihood, metrics
 * aggregated per task and per group, and results written in the harness's JSON layout.
 */
package dev.jllm.eval;
