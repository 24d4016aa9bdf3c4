/**
 * Training: tokenizer training, token shards and batches, optimizers and learning-rate schedules,
 * the training loop and its checkpoints.
 */
package dev.jllm.train;
