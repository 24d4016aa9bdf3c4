/**
 * When a generation ends: end-of-sequence ids ({@link dev.jllm.runtime.stop.StopTokens}), stop strings
 * watched across streamed pieces ({@link dev.jllm.runtime.stop.StopStrings}), the token limit, all combined
 * by {@link dev.jllm.runtime.stop.StopConditions}, with OpenAI's two finish reasons
 * ({@link dev.jllm.runtime.stop.StopReason}).
 */
package dev.jllm.runtime.stop;
