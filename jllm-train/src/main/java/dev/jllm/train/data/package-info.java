/**
 * Training data: text encoded into memory-mapped token shards ({@link dev.jllm.train.data.ShardBuilder},
 * {@link dev.jllm.train.data.TokenShard}, {@link dev.jllm.train.data.TokenShards}) and the seeded, resumable
 * batches a trainer reads from them ({@link dev.jllm.train.data.BatchIterator}).
 */
package dev.jllm.train.data;
