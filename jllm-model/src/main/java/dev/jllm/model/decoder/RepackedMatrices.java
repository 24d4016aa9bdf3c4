package dev.jllm.model.decoder;

import dev.jllm.core.linalg.InterleavedMatrix;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.DirectMemory;
import dev.jllm.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder's quantized matrices copied into {@link InterleavedMatrix} layouts as a model loads: which matrices
 * can be, what the copies cost, and making them (kernels compiled first, the type holding most bytes first).
 */
final class RepackedMatrices {
    private RepackedMatrices() {
    }

    /** Bytes the interleaved copies of {@code weights}' quantized matrices would take; 0 if none can be. */
    static long bytes(DecoderWeights weights) {
        long bytes = 0;
        for (Tensor m : interleavable(weights)) {
            bytes += InterleavedMatrix.bytes(m);
        }
        return bytes;
    }

    /**
     * The interleaved copy of every matrix of {@code weights} that has a layout, by tensor identity, made by the
     * pool's threads; the mapped pages each copy replaces are released.
     *
     * @throws IllegalArgumentException if the copies would not fit the JVM's direct memory limit
     */
    static Map<Tensor, InterleavedMatrix> copy(DecoderWeights weights, WorkerPool pool) {
        long bytes = bytes(weights);
        long limit = DirectMemory.available();
        if (bytes > limit) {
            throw new IllegalArgumentException("interleaving the quantized matrices needs " + (bytes >> 20)
                    + " MiB of direct memory, more than the JVM has left (" + (limit >> 20) + " MiB); raise it with "
                    + "-XX:MaxDirectMemorySize");
        }
        List<Tensor> matrices = interleavable(weights);
        // the kernel of the type holding most of the weights compiled first (see InterleavedMatrix.warmUp)
        Map<DType, Long> bytesByType = new EnumMap<>(DType.class);
        matrices.forEach(m -> bytesByType.merge(m.type(), InterleavedMatrix.bytes(m), Long::sum));
        List<DType> types = new ArrayList<>(bytesByType.keySet());
        types.sort(Comparator.comparing(bytesByType::get, Comparator.reverseOrder()));
        InterleavedMatrix.warmUp(types);
        Map<Tensor, InterleavedMatrix> copies = new IdentityHashMap<>();
        for (Tensor m : matrices) {
            // the copy serves every product from now on: the mapped pages can go
            copies.put(m, InterleavedMatrix.of(m, pool, true));
        }
        return copies;
    }

    /** The distinct matrices of {@code weights} that {@link InterleavedMatrix} can copy. */
    private static List<Tensor> interleavable(DecoderWeights weights) {
        List<Tensor> matrices = new ArrayList<>();
        for (LayerWeights l : weights.layers()) {
            matrices.addAll(Arrays.asList(l.wq(), l.wk(), l.wv(), l.wo(), l.wGate(), l.wUp(), l.wDown()));
        }
        matrices.add(weights.output());
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        List<Tensor> out = new ArrayList<>();
        for (Tensor m : matrices) {
            if (m != null && InterleavedMatrix.supports(m) && seen.put(m, Boolean.TRUE) == null) {
                out.add(m);
            }
        }
        return out;
    }
}
