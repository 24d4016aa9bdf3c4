/** Results as lm-evaluation-harness writes them: the results JSON, the markdown table, the samples JSONL. */
package dev.jllm.eval.report;
