package dev.jllm.runtime.schedule;

import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.stop.StopConditions;
import dev.jllm.runtime.stop.StopTokens;
import java.util.List;

/**
 * What one sequence asks of the {@link Scheduler}.
 *
 * @param prompt the token ids to continue (not empty, at most the scheduler's context)
 * @param sampling how to choose each token (its seed makes the sequence reproducible)
 * @param endTokens ids that end the sequence (the model's end-of-sequence and end-of-turn ids)
 * @param stopStrings strings that end it; they are not shown
 * @param maxTokens most tokens to generate, or -1 for no limit (the context still bounds it)
 * @param topLogprobs -1 for no log-probabilities; otherwise those of the chosen token and of this many
 *     most likely alternatives, reported with each token
 */
public record SequenceRequest(int[] prompt, SamplingParams sampling, StopTokens endTokens, List<String> stopStrings,
        int maxTokens, int topLogprobs) {
    /** Checks the arguments, naming the bad one. */
    public SequenceRequest {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (sampling == null || endTokens == null || stopStrings == null) {
            throw new IllegalArgumentException("sampling, end tokens and stop strings are required");
        }
        if (maxTokens < -1) {
            throw new IllegalArgumentException("maxTokens must be >= 0, or -1 for no limit, got " + maxTokens);
        }
        stopStrings = List.copyOf(stopStrings);
        if (topLogprobs < -1) {
            throw new IllegalArgumentException("topLogprobs must be -1 (none) or at least 0, got " + topLogprobs);
        }
        prompt = prompt.clone();
    }

    /** A request without log-probabilities. */
    public SequenceRequest(int[] prompt, SamplingParams sampling, StopTokens endTokens, List<String> stopStrings,
            int maxTokens) {
        this(prompt, sampling, endTokens, stopStrings, maxTokens, -1);
    }

    /** Fresh stop conditions for one run of this request. */
    public StopConditions newStopConditions() {
        return new StopConditions(endTokens, stopStrings, maxTokens);
    }

    @Override
    public int[] prompt() {
        return prompt.clone();
    }
}
