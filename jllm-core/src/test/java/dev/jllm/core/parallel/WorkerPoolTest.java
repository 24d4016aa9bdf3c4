package dev.jllm.core.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    private static void assertEachOnce(AtomicIntegerArray hits, String what) {
        for (int i = 0; i < hits.length(); i++) {
            assertEquals(1, hits.get(i), what + ": index " + i);
        }
    }

    @Test
    void parallelForCoversEveryIndexExactlyOnce() {
        for (int threads : new int[] {1, 2, 3}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int count : new int[] {0, 1, 2, 3, 7, 1000}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(count);
                    pool.parallelFor(count, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    assertEachOnce(hits, "threads=" + threads + " count=" + count);
                }
            }
        }
    }

    @Test
    void dynamicVariantCoversEveryIndexExactlyOnce() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int grain : new int[] {0, 1, 3, 64, 5000}) {
                for (int count : new int[] {0, 1, 17, 1001}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(count);
                    pool.parallelForDynamic(count, grain, (from, to) -> {
                        assertTrue(to - from <= Math.max(1, grain));
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    assertEachOnce(hits, "grain=" + grain + " count=" + count);
                }
            }
        }
    }

    @Test
    void runGivesEveryWorkerItsIndexAndUsesSeveralThreads() {
        try (WorkerPool pool = new WorkerPool(3)) {
            assertEquals(3, pool.threads());
            AtomicIntegerArray seen = new AtomicIntegerArray(3);
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            pool.run((w, n) -> {
                assertEquals(3, n);
                seen.incrementAndGet(w);
                threads.add(Thread.currentThread());
            });
            assertEachOnce(seen, "workers");
            assertEquals(3, threads.size());
            assertTrue(threads.contains(Thread.currentThread()), "the caller takes part as worker 0");
        }
    }

    @Test
    void exceptionsOfAnyWorkerPropagateAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int failing = 0; failing < 3; failing++) {
                int f = failing;
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run((w, n) -> {
                    if (w == f) {
                        throw new IllegalStateException("worker " + w);
                    }
                }));
                assertEquals("worker " + f, e.getMessage());
            }
            AssertionError err = new AssertionError("boom");
            assertSame(err, assertThrows(AssertionError.class, () -> pool.parallelFor(10, (from, to) -> {
                if (from == 0) {
                    throw err;
                }
            })));
            AtomicInteger sum = new AtomicInteger();
            pool.parallelFor(100, (from, to) -> sum.addAndGet(to - from));
            assertEquals(100, sum.get());
        }
    }

    @Test
    void nestedCallsRunInlineOnTheCallingWorker() {
        try (WorkerPool pool = new WorkerPool(3)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(3 * 50);
            pool.run((w, n) -> {
                Thread outer = Thread.currentThread();
                pool.run((iw, in) -> {
                    assertEquals(0, iw);
                    assertEquals(1, in);
                    assertSame(outer, Thread.currentThread());
                });
                pool.parallelFor(50, (from, to) -> {
                    assertSame(outer, Thread.currentThread());
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(w * 50 + i);
                    }
                });
            });
            assertEachOnce(hits, "nested");
        }
    }

    @Test
    void closedPoolRunsTasksOnTheCaller() {
        WorkerPool pool = new WorkerPool(3);
        pool.close();
        Thread caller = Thread.currentThread();
        AtomicIntegerArray hits = new AtomicIntegerArray(20);
        pool.parallelFor(20, (from, to) -> {
            assertSame(caller, Thread.currentThread());
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        });
        assertEachOnce(hits, "closed");
        pool.close(); // closing twice is harmless
    }

    @Test
    void workersWakeAfterParking() throws InterruptedException {
        try (WorkerPool pool = new WorkerPool(2)) {
            Thread.sleep(5); // longer than the default spin, so the worker parks
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            pool.run((w, n) -> threads.add(Thread.currentThread()));
            assertEquals(2, threads.size());
        }
    }

    @Test
    void rejectsNonPositiveThreadCounts() {
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
    }
}
