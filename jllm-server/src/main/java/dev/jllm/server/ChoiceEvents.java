package dev.jllm.server;

import dev.jllm.runtime.sampling.TokenLogprobs;
import dev.jllm.runtime.schedule.SequenceListener;
import dev.jllm.runtime.schedule.SequenceResult;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The events of a request's choices, handed from the scheduler's thread to the request's own thread
 * through an unbounded queue: the scheduler never waits for a client, however slowly it reads.
 */
final class ChoiceEvents {
    /** One thing that happened to choice {@code index}. */
    sealed interface Event permits Text, Token, Finished, Failed {
        int index();
    }

    record Text(int index, String piece) implements Event {
    }

    record Token(int index, int id, TokenLogprobs logprobs) implements Event {
    }

    record Finished(int index, SequenceResult result) implements Event {
    }

    record Failed(int index, RuntimeException error) implements Event {
    }

    private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();

    /** The listener for choice {@code index}. */
    SequenceListener listener(int index) {
        return new SequenceListener() {
            @Override
            public void text(String piece) {
                queue.add(new Text(index, piece));
            }

            @Override
            public void token(int id, TokenLogprobs logprobs) {
                queue.add(new Token(index, id, logprobs));
            }

            @Override
            public void finished(SequenceResult result) {
                queue.add(new Finished(index, result));
            }

            @Override
            public void failed(RuntimeException error) {
                queue.add(new Failed(index, error));
            }
        };
    }

    /** The next event, waiting for it (the scheduler ends every sequence, also when it closes). */
    Event next() throws InterruptedException {
        return queue.take();
    }

    /** The next event, or null after {@code millis} without one. */
    Event next(long millis) throws InterruptedException {
        return queue.poll(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
}
