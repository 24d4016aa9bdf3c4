package dev.jllm.runtime.schedule;

import dev.jllm.formats.tokenizer.StreamingDecoder;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.decoder.DecoderBatch;
import dev.jllm.runtime.Generator;
import dev.jllm.runtime.sampling.Sampler;
import dev.jllm.runtime.sampling.TokenLogprobs;
import dev.jllm.runtime.stop.StopConditions;
import dev.jllm.runtime.stop.StopReason;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * One request inside the scheduler: its prompt is prefilled in chunks, then each step's logits are
 * sampled, checked against the stop conditions and streamed, and the chosen token goes into the next
 * batch. Touched only by the scheduler's thread (except the ticket's cancel flag).
 */
final class ScheduledSequence {
    final SequenceRequest request;
    final SequenceListener listener;
    final Ticket ticket;
    private final int[] prompt;
    private final StopConditions stop;
    private Generator generator;
    private Sampler sampler;
    private StreamingDecoder text;
    private final StringBuilder shown = new StringBuilder();
    private int[] generated = new int[16];
    private int count;
    private int cached;
    private int prefilled;
    private int pending = -1;

    /** @param dequeue what the ticket's cancel runs to take the sequence out of the queue */
    ScheduledSequence(SequenceRequest request, SequenceListener listener, Consumer<ScheduledSequence> dequeue) {
        this.ticket = new Ticket(() -> dequeue.accept(this));
        this.request = request;
        this.listener = listener;
        this.prompt = request.prompt();
        this.stop = request.newStopConditions();
    }

    /** Binds the sequence to a slot's generator, keeping the prefix its cache shares with the prompt. */
    void start(Generator slot, Tokenizer tokenizer, int vocab) {
        generator = slot;
        generator.resetTimings();
        cached = generator.keepPrefix(prompt);
        prefilled = cached;
        sampler = new Sampler(request.sampling(), vocab);
        sampler.acceptAll(prompt);
        text = tokenizer == null ? null : tokenizer.streamingDecoder();
    }

    Generator generator() {
        return generator;
    }

    /** Prompt tokens still to run. */
    int remainingPrompt() {
        return prompt.length - prefilled;
    }

    /**
     * Adds up to {@code budget} prompt tokens to the batch.
     *
     * @return whether they complete the prompt (the batch then computes this sequence's logits)
     */
    boolean addPrompt(DecoderBatch batch, int budget) {
        int n = Math.min(budget, remainingPrompt());
        boolean last = n == remainingPrompt();
        generator.add(batch, prompt, prefilled, n, last);
        prefilled += n;
        return last;
    }

    /** Whether a sampled token waits to be run. */
    boolean hasPendingToken() {
        return pending >= 0;
    }

    void addPendingToken(DecoderBatch batch, int[] scratch) {
        scratch[0] = pending;
        generator.add(batch, scratch, 0, 1, true);
        pending = -1;
    }

    /**
     * Takes the logits the last step left in the generator: samples, streams and checks the stop
     * conditions.
     *
     * @return the result when the sequence ended, else null (a token is then pending)
     */
    SequenceResult advance() {
        if (ticket.isCancelled()) {
            return result(null);
        }
        if (stop.limitReached()) {
            return result(emit(stop.endForLength()));
        }
        float[] logits = generator.logits();
        int token = sampler.sample(logits);
        TokenLogprobs lp = request.topLogprobs() >= 0 ? sampler.logprobs(token, request.topLogprobs()) : null;
        sampler.accept(token);
        if (count == generated.length) {
            generated = Arrays.copyOf(generated, count * 2);
        }
        generated[count++] = token;
        listener.token(token, lp);
        String piece = text == null ? "" : text.next(token);
        StopConditions.Step step = stop.accept(token, piece);
        StopReason reason = emit(step);
        if (reason != null) {
            return result(reason);
        }
        if (generator.length() >= generator.contextLength()) {
            return result(emit(stop.endForLength()));
        }
        pending = token;
        return null;
    }

    /** The result of a sequence that ends now: cancelled when {@code reason} is null. */
    SequenceResult result(StopReason reason) {
        if (text != null && reason == StopReason.LENGTH) {
            String rest = text.finish();
            if (!rest.isEmpty()) {
                listener.text(rest);
                shown.append(rest);
            }
        }
        return new SequenceResult(prompt.length, cached, Arrays.copyOf(generated, count), shown.toString(), reason,
                generator == null ? new Generator.Timings(0, 0, 0, 0) : generator.timings());
    }

    private StopReason emit(StopConditions.Step step) {
        if (!step.text().isEmpty()) {
            listener.text(step.text());
            shown.append(step.text());
        }
        return step.reason();
    }
}
