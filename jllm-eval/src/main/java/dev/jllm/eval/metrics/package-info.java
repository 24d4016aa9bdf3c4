/** Metric aggregation as lm-evaluation-harness does it: means, their standard errors, size-weighted group means. */
package dev.jllm.eval.metrics;
