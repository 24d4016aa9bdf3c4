package dev.jllm.core.parallel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A barrier for the threads of one {@link WorkerPool#run} region: each step of a computation split among
 * them ends with {@link #await}, and none starts the next step before all have finished this one. Waiting
 * spins (a step lasts microseconds, less than parking and waking a thread costs), yielding the core after
 * a while in case the thread it waits for needs it. A thread that fails {@link #abort}s the barrier, so
 * that the others throw instead of waiting for it forever.
 */
public final class SpinBarrier {
    private static final long YIELD_AFTER_NANOS = 50_000L;

    private final AtomicInteger arrived = new AtomicInteger();
    private volatile int generation;
    private volatile Throwable failure;

    /**
     * Returns when {@code parties} threads (the region's, as {@link WorkerPool.Task} was told) have called
     * this since the barrier last opened.
     *
     * @throws IllegalStateException if the barrier was aborted
     */
    public void await(int parties) {
        checkAborted();
        if (parties <= 1) {
            return;
        }
        int g = generation;
        if (arrived.incrementAndGet() == parties) {
            arrived.set(0);
            generation = g + 1; // volatile write: publishes every party's writes of this step
            return;
        }
        long waitStart = 0;
        for (int spins = 1; generation == g; spins++) {
            if ((spins & 255) == 0) {
                checkAborted();
                if (waitStart == 0) {
                    waitStart = System.nanoTime();
                } else if (System.nanoTime() - waitStart > YIELD_AFTER_NANOS) {
                    Thread.yield();
                }
            }
            Thread.onSpinWait();
        }
    }

    /** Makes every present and future {@link #await} throw, naming {@code cause}. */
    public void abort(Throwable cause) {
        failure = cause;
    }

    private void checkAborted() {
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("another thread of the region failed: " + f, f);
        }
    }
}
