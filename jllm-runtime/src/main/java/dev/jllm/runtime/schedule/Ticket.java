package dev.jllm.runtime.schedule;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** A submitted sequence: cancel it, or wait for its result. */
public final class Ticket {
    private final CompletableFuture<SequenceResult> result = new CompletableFuture<>();
    private volatile boolean cancelled;

    Ticket() {
    }

    /**
     * Asks the scheduler to stop the sequence before its next token (or to drop it from the queue). The
     * result then carries no finish reason. Safe from any thread; idempotent.
     */
    public void cancel() {
        cancelled = true;
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
