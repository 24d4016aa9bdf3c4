/**
 * {@code jllm serve}: an OpenAI-compatible HTTP API (chat and text completions with Server-Sent
 * Events streaming, models, tokenize/detokenize, health and Prometheus metrics) over the runtime's
 * continuous-batching {@link dev.jllm.runtime.schedule.Scheduler}. Built on the JDK's own HTTP
 * server, one virtual thread per request.
 */
package dev.jllm.server;
