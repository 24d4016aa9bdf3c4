package dev.jllm.core.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of threads that run data-parallel loops with microsecond fan-out.
 *
 * <p>A decode step runs thousands of small loops, so dispatch must not cost a thread hand-off
 * through a queue. Workers spin on a generation counter for a short while after each task (so
 * the next dispatch finds them awake) and only then park. The calling thread takes part as
 * worker 0, so a pool of {@code n} threads starts {@code n - 1}. Calls from inside a task (or
 * from a second thread while the pool is busy with another caller's task) run inline on the
 * caller rather than deadlock or wait.
 */
public final class WorkerPool implements AutoCloseable {

    /** A body run once by each worker. */
    @FunctionalInterface
    public interface Task {
        /** Runs the share of worker {@code worker} out of {@code workers}. */
        void run(int worker, int workers);
    }

    /** A body over a half-open range of loop indices. */
    @FunctionalInterface
    public interface RangeTask {
        /** Runs indices {@code from} (inclusive) to {@code to} (exclusive). */
        void run(int from, int to);
    }

    private static final long SPIN_NANOS = Long.getLong("jllm.pool.spinMicros", 200) * 1000L;
    private static final long YIELD_AFTER_NANOS = 50_000L;
    private static volatile WorkerPool common;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final ReentrantLock dispatchLock = new ReentrantLock();
    private final ThreadLocal<Boolean> insideTask = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private final java.util.concurrent.atomic.AtomicIntegerArray parked;
    private volatile Task task;
    private volatile long generation;
    private volatile boolean closed;

    /**
     * Starts a pool of {@code threads} threads (the caller counts as one).
     *
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.parked = new java.util.concurrent.atomic.AtomicIntegerArray(Math.max(1, threads - 1));
        for (int i = 1; i < threads; i++) {
            int index = i;
            Thread t = new Thread(() -> workerLoop(index), "jllm-worker-" + i);
            t.setDaemon(true);
            workers[i - 1] = t;
            t.start();
        }
    }

    /**
     * The process-wide pool. Its size is the system property {@code jllm.threads} when set (the
     * CLI's {@code -t}), else the number of available processors.
     */
    public static WorkerPool common() {
        WorkerPool p = common;
        if (p == null) {
            synchronized (WorkerPool.class) {
                p = common;
                if (p == null) {
                    int n = Integer.getInteger("jllm.threads", Runtime.getRuntime().availableProcessors());
                    p = new WorkerPool(Math.max(1, n));
                    common = p;
                }
            }
        }
        return p;
    }

    /** Number of threads, the caller included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} once on every worker and returns when all have finished. An exception
     * thrown by any worker is rethrown here.
     */
    public void run(Task body) {
        if (threads == 1 || insideTask.get() || closed || !dispatchLock.tryLock()) {
            // Nested or concurrent use: run the whole loop here, serially.
            body.run(0, 1);
            return;
        }
        try {
            failure.set(null);
            task = body;
            pending.set(threads - 1);
            generation = generation + 1; // volatile write publishes task
            for (int i = 0; i < workers.length; i++) {
                if (parked.get(i) != 0) {
                    LockSupport.unpark(workers[i]);
                }
            }
            insideTask.set(Boolean.TRUE);
            try {
                body.run(0, threads);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                insideTask.set(Boolean.FALSE);
            }
            long waitStart = 0;
            for (int spins = 1; pending.get() != 0; spins++) {
                // after a while, yield: on a busy machine the worker we wait for may need this core
                if ((spins & 255) == 0) {
                    if (waitStart == 0) {
                        waitStart = System.nanoTime();
                    } else if (System.nanoTime() - waitStart > YIELD_AFTER_NANOS) {
                        Thread.yield();
                    }
                }
                Thread.onSpinWait();
            }
            task = null;
        } finally {
            dispatchLock.unlock();
        }
        Throwable t = failure.getAndSet(null);
        if (t != null) {
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }

    /**
     * Splits {@code [0, count)} into one contiguous range per worker and runs them in parallel.
     * Best when every index costs the same.
     */
    public void parallelFor(int count, RangeTask body) {
        if (count <= 0) {
            return;
        }
        run((w, n) -> {
            long from = (long) count * w / n;
            long to = (long) count * (w + 1) / n;
            if (from < to) {
                body.run((int) from, (int) to);
            }
        });
    }

    /**
     * Runs {@code [0, count)} in chunks of {@code grain} indices that workers claim as they go.
     * Best when indices cost different amounts.
     */
    public void parallelForDynamic(int count, int grain, RangeTask body) {
        if (count <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        AtomicInteger next = new AtomicInteger();
        run((w, n) -> {
            int from;
            while ((from = next.getAndAdd(g)) < count) {
                body.run(from, Math.min(count, from + g));
            }
        });
    }

    private void workerLoop(int index) {
        long seen = 0;
        insideTask.set(Boolean.TRUE);
        while (true) {
            long g = generation;
            if (g == seen) {
                long spinStart = System.nanoTime();
                int spins = 0;
                while ((g = generation) == seen) {
                    if (closed) {
                        return;
                    }
                    if ((++spins & 63) == 0 && System.nanoTime() - spinStart > SPIN_NANOS) {
                        parked.set(index - 1, 1);
                        if (generation == seen && !closed) {
                            LockSupport.park(this);
                        }
                        parked.set(index - 1, 0);
                        spinStart = System.nanoTime();
                    } else {
                        Thread.onSpinWait();
                    }
                }
            }
            seen = g;
            Task t = task;
            try {
                if (t != null) {
                    t.run(index, threads);
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    /** Stops the worker threads. The pool runs later tasks on the caller alone. */
    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
