package dev.jllm.runtime.schedule;

import dev.jllm.runtime.sampling.TokenLogprobs;

/**
 * Receives one sequence's output as it is generated. Called on the scheduler's thread between
 * batched steps, so an implementation must return at once (hand the data to a queue, never wait on
 * a network peer): a slow listener would stall every other sequence. An exception it throws cancels
 * its own sequence only.
 */
public interface SequenceListener {
    /** Text ready to show: whole UTF-8 characters, never part of a stop string. */
    void text(String piece);

    /**
     * A generated token (also the end token that stops the sequence), before its text.
     *
     * @param logprobs its log-probabilities when the request asked for them, else null
     */
    default void token(int id, TokenLogprobs logprobs) {
    }

    /** The sequence ended (also when cancelled: the result's finish reason is then null). */
    default void finished(SequenceResult result) {
    }

    /** The sequence failed; no further call follows. */
    default void failed(RuntimeException error) {
    }
}
