package dev.jllm.core.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SpinBarrierTest {

    /**
     * Every worker writes its own slot of a step's row with plain stores, waits, then reads every slot of
     * that row: a barrier that opened early, or that did not publish the writes, shows a missing value.
     * Many short steps exercise the barrier's reuse from one step to the next.
     */
    @Test
    void noWorkerStartsAStepBeforeAllFinishedThePreviousOne() {
        int steps = 2000;
        for (int threads : new int[] {1, 2, 3}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                int[][] written = new int[steps][threads];
                SpinBarrier barrier = new SpinBarrier();
                AtomicInteger misses = new AtomicInteger();
                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> pool.run((w, workers) -> {
                    for (int s = 0; s < steps; s++) {
                        written[s][w] = s + 1;
                        barrier.await(workers);
                        for (int other = 0; other < workers; other++) {
                            if (written[s][other] != s + 1) {
                                misses.incrementAndGet();
                            }
                        }
                    }
                }));
                assertEquals(0, misses.get(), threads + " threads");
            }
        }
    }

    /** A worker that fails aborts the barrier: the others stop waiting, and the region's call throws. */
    @Test
    void aFailingWorkerReleasesTheOthers() {
        try (WorkerPool pool = new WorkerPool(3)) {
            SpinBarrier barrier = new SpinBarrier();
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> assertTimeoutPreemptively(
                    Duration.ofSeconds(60), () -> pool.run((w, workers) -> {
                        try {
                            if (w == 1) {
                                throw new IllegalArgumentException("worker 1 failed");
                            }
                            barrier.await(workers);
                        } catch (RuntimeException e) {
                            barrier.abort(e);
                            throw e;
                        }
                    })));
            String message = thrown.getMessage();
            assertTrue(message.contains("worker 1 failed"), message);
            assertThrows(IllegalStateException.class, () -> barrier.await(1));
        }
    }
}
