package dev.jllm.runtime;

import dev.jllm.formats.tokenizer.StreamingDecoder;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.runtime.sampling.Sampler;
import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.stop.StopConditions;
import dev.jllm.runtime.stop.StopReason;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * One completion: prefill the prompt, then sample, decode and stream tokens until a stop condition,
 * the token limit, the context's end or a cancellation. The loop every front end (generate, chat,
 * server) runs.
 */
public final class Completion {
    private Completion() {
    }

    /** Receives a completion as it streams. */
    public interface Listener {
        /** Text ready to show (complete UTF-8 characters, never part of a stop string). */
        void text(String piece);

        /** A generated token (also the end-of-sequence token that stops the completion). */
        default void token(int id) {
        }
    }

    /**
     * The outcome.
     *
     * @param promptTokens the prompt's length
     * @param tokens the generated ids, an end-of-sequence id included when one stopped the completion
     * @param text the text shown, stop string excluded
     * @param finishReason why it ended; null when it was cancelled
     * @param timings prefill and decode work of this completion
     */
    public record Result(int promptTokens, int[] tokens, String text, StopReason finishReason,
            Generator.Timings timings) {
    }

    /**
     * Runs a completion on {@code generator}, continuing from whatever prefix of {@code prompt} its cache
     * already holds.
     *
     * @param tokenizer decodes tokens to text; null to stream ids only (text is then empty)
     * @param cancelled polled before each token; true ends the completion
     * @throws ContextOverflowException if the prompt alone does not fit the context
     */
    public static Result run(Generator generator, Tokenizer tokenizer, int[] prompt, SamplingParams params,
            StopConditions stop, Listener listener, BooleanSupplier cancelled) {
        generator.resetTimings();
        float[] logits = generator.ingest(prompt);
        Sampler sampler = new Sampler(params, generator.decoder().config().vocabSize());
        sampler.acceptAll(prompt);
        StreamingDecoder decoder = tokenizer == null ? null : tokenizer.streamingDecoder();
        StringBuilder text = new StringBuilder();
        int[] generated = new int[16];
        int count = 0;
        StopReason reason = null;
        while (true) {
            if (cancelled.getAsBoolean()) {
                break;
            }
            if (stop.limitReached()) {
                reason = emit(stop.endForLength(), listener, text);
                break;
            }
            int token = sampler.sample(logits);
            sampler.accept(token);
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, count * 2);
            }
            generated[count++] = token;
            listener.token(token);
            String piece = decoder == null ? "" : decoder.next(token);
            StopConditions.Step step = stop.accept(token, piece);
            if (step.stopped()) {
                reason = emit(step, listener, text);
                break;
            }
            emit(step, listener, text);
            if (generator.length() >= generator.contextLength()) {
                reason = emit(stop.endForLength(), listener, text);
                break;
            }
            logits = generator.append(token);
        }
        if (decoder != null && reason == StopReason.LENGTH) {
            String rest = decoder.finish();
            if (!rest.isEmpty()) {
                listener.text(rest);
                text.append(rest);
            }
        }
        return new Result(prompt.length, Arrays.copyOf(generated, count), text.toString(), reason,
                generator.timings());
    }

    private static StopReason emit(StopConditions.Step step, Listener listener, StringBuilder text) {
        if (!step.text().isEmpty()) {
            listener.text(step.text());
            text.append(step.text());
        }
        return step.reason();
    }
}
