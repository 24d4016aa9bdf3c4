/** Running tasks over a scorer: requests in batches, per-document metrics, task and group aggregates, samples. */
package dev.jllm.eval.run;
