package dev.jllm.train.optim;

import dev.jllm.core.parallel.WorkerPool;

/**
 * Runs an element-wise loop over {@code [0, length)} in fixed chunks, in parallel when a pool is
 * given and the tensor is large. Chunk bounds depend only on the length, never on the thread
 * count, so reductions that combine per-chunk results in chunk order are deterministic.
 */
final class ChunkedLoop {
    /** Elements per chunk: a multiple of every vector length, large enough to hide dispatch. */
    static final int CHUNK = 1 << 16;

    private ChunkedLoop() {
    }

    /** Number of chunks that cover {@code length} elements. */
    static int chunks(int length) {
        return (int) (((long) length + CHUNK - 1) / CHUNK);
    }

    /** Runs {@code body} over every chunk of {@code [0, length)}; serially when {@code pool} is null. */
    static void run(WorkerPool pool, int length, WorkerPool.RangeTask body) {
        if (pool == null || pool.threads() == 1 || length <= CHUNK) {
            body.run(0, length);
            return;
        }
        pool.parallelForDynamic(chunks(length), 1,
                (from, to) -> body.run(from * CHUNK, (int) Math.min(length, (long) to * CHUNK)));
    }

    /** Runs {@code body(chunk)} for every chunk index of {@code [0, length)}. */
    static void runChunks(WorkerPool pool, int length, WorkerPool.RangeTask body) {
        int n = chunks(length);
        if (pool == null || pool.threads() == 1 || n <= 1) {
            body.run(0, n);
            return;
        }
        pool.parallelForDynamic(n, 1, body);
    }
}
