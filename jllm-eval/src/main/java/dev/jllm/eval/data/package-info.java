/** Reading task data from local files: CSV as the MMLU and C-Eval releases write it, TSV, plain text. */
package dev.jllm.eval.data;
