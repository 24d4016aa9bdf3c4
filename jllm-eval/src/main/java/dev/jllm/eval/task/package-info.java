/**
 * Tasks as lm-evaluation-harness defines them: MMLU (57 subjects in four groups) and C-Eval (52 subjects) as
 * multiple-choice tasks with the harness's prompts, perplexity over a text file, the groups that aggregate them,
 * and the registry that turns task names into tasks over a data folder.
 */
package dev.jllm.eval.task;
