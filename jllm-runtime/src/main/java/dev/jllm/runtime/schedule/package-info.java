/**
 * Continuous batching: a {@link dev.jllm.runtime.schedule.Scheduler} runs many sequences on one
 * decoder, one batched forward pass per step over every active sequence, admitting queued requests
 * between steps. The CLI's generate and chat and the server all submit their completions here.
 */
package dev.jllm.runtime.schedule;
