package dev.jllm.runtime.schedule;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** A submitted sequence: cancel it, or wait for its result. */
public final class Ticket {
    private final CompletableFuture<SequenceResult> result = new CompletableFuture<>();
    private final Runnable dequeue;
    private volatile boolean cancelled;

    /** @param dequeue takes the sequence out of the queue and ends it, if it is still waiting there */
    Ticket(Runnable dequeue) {
        this.dequeue = dequeue;
    }

    /**
     * Stops the sequence before its next token; a sequence still waiting in the queue leaves it at once
     * (so it holds no place there), its listener told on the calling thread. The result then carries no
     * finish reason. Safe from any thread; idempotent.
     */
    public void cancel() {
        if (!cancelled) {
            cancelled = true;
            dequeue.run();
        }
    }

    /** Whether {@link #cancel()} was called. */
    public boolean isCancelled() {
        return cancelled;
    }

    /** Completes when the sequence ends, exceptionally when it fails. */
    public CompletableFuture<SequenceResult> result() {
        return result;
    }

    /**
     * Waits for the result.
     *
     * @throws RuntimeException the failure of the sequence, as thrown by the scheduler
     */
    public SequenceResult await() throws InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (CancellationException e) {
            throw new IllegalStateException("the scheduler closed", e);
        }
    }

    void complete(SequenceResult r) {
        result.complete(r);
    }

    void fail(RuntimeException e) {
        result.completeExceptionally(e);
    }
}
