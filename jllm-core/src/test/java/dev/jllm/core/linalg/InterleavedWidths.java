package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The interleaved copies a test runs on this machine: the 512-bit kernels where the machine has them, and the
 * 256-bit (half-width) ones of the types that have them, which every machine with vectors of 8 floats or more runs.
 */
final class InterleavedWidths {
    private InterleavedWidths() {
    }

    /** Whether this machine runs any interleaved kernels of {@code type}. */
    static boolean anyFor(DType type) {
        return InterleavedMatrix.WIDE || InterleavedMatrix.HALF_WIDTH && hasHalfWidth(type);
    }

    /** Whether {@code type} has half-width kernels. */
    static boolean hasHalfWidth(DType type) {
        return InterleavedMatrix.hasHalfWidthKernels(type);
    }

    /** Every copy of {@code w} this machine runs, made by the pool's threads (the caller's if null). */
    static List<InterleavedMatrix> copies(Tensor w, WorkerPool pool) {
        List<InterleavedMatrix> copies = new ArrayList<>();
        if (InterleavedMatrix.WIDE) {
            copies.add(InterleavedMatrix.of(w, pool, false));
        }
        if (hasHalfWidth(w.type()) && (InterleavedMatrix.WIDE || InterleavedMatrix.HALF_WIDTH)) {
            InterleavedMatrix half = InterleavedMatrix.of(w, pool, false);
            copies.add(InterleavedMatrix.WIDE ? half.halfWidth() : half);
        }
        return copies;
    }

    /** " (256-bit)" for a half-width copy, else "". */
    static String name(InterleavedMatrix m) {
        return m.wide ? "" : " (256-bit)";
    }
}
