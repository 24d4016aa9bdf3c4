package dev.jllm.runtime.schedule;

/** A request was refused because the scheduler's queue is full (a server answers 429 or 503). */
public final class QueueFullException extends RuntimeException {
    /** For a queue of {@code capacity} waiting requests. */
    public QueueFullException(int capacity) {
        super("the queue of " + capacity + " waiting requests is full; try again later");
    }
}
