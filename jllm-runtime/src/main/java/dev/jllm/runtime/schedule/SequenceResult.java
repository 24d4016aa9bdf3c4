package dev.jllm.runtime.schedule;

import dev.jllm.runtime.Generator;
import dev.jllm.runtime.stop.StopReason;

/**
 * How a sequence ended.
 *
 * @param promptTokens the prompt's length
 * @param cachedTokens prompt tokens reused from the cache instead of computed
 * @param tokens the generated ids, an end token included when one stopped the sequence
 * @param text the text shown, stop string excluded
 * @param finishReason why it ended; null when it was cancelled
 * @param timings prefill and decode time of this sequence (time in shared batches counts in full)
 */
public record SequenceResult(int promptTokens, int cachedTokens, int[] tokens, String text, StopReason finishReason,
        Generator.Timings timings) {
    /** Keeps its own copy of the ids. */
    public SequenceResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }
}
