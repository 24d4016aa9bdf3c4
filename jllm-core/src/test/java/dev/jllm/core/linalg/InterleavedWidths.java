package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The interleaved copies a test runs on this machine: the 512-bit kernels where the machine has them, and the
 * 256-bit (half-width) ones, which every machine with vectors of 8 floats or more runs.
 */
final class InterleavedWidths {
    private InterleavedWidths() {
    }

    /** Every copy of {@code w} this machine runs, made by the pool's threads (the caller's if null). */
    static List<InterleavedMatrix> copies(Tensor w, WorkerPool pool) {
        List<InterleavedMatrix> copies = new ArrayList<>();
        if (InterleavedMatrix.WIDE) {
            copies.add(InterleavedMatrix.of(w, pool, false));
        }
        copies.add(InterleavedMatrix.of(w, pool, false).halfWidth());
        return copies;
    }

    /** " (256-bit)" for a half-width copy, else "". */
    static String name(InterleavedMatrix m) {
        return m.wide ? "" : " (256-bit)";
    }
}
