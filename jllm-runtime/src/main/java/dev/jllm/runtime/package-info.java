/**
 * Generation over a model definition: prefill, decode, KV cache, sampling and stop conditions.
 */
package dev.jllm.runtime;
