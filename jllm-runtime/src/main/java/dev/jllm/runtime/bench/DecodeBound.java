package dev.jllm.runtime.bench;

import dev.jllm.core.linalg.MemoryBandwidth;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.HugePages;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.model.decoder.DecoderWeights;
import dev.jllm.model.decoder.LayerWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The speed memory bandwidth allows a decode step: every weight matrix is read once per token (the
 * embedding only for one row), so tokens/s cannot exceed read bandwidth ÷ bytes read per token.
 */
public final class DecodeBound {
    private DecodeBound() {
    }

    /** Weight bytes one decode step reads: all block matrices and the output matrix. */
    public static long weightBytesPerToken(DecoderWeights w) {
        long bytes = w.output().data().byteSize();
        for (LayerWeights l : w.layers()) {
            for (Tensor t : new Tensor[] {l.wq(), l.wk(), l.wv(), l.wo(), l.wGate(), l.wUp(), l.wDown()}) {
                if (t != null) {
                    bytes += t.data().byteSize();
                }
            }
        }
        return bytes;
    }

    /** Elements of the matrices a token passes through (blocks and output): a token costs twice that in FLOPs. */
    public static long matrixParameters(DecoderWeights w) {
        long n = w.output().elements();
        for (LayerWeights l : w.layers()) {
            for (Tensor t : new Tensor[] {l.wq(), l.wk(), l.wv(), l.wo(), l.wGate(), l.wUp(), l.wDown()}) {
                if (t != null) {
                    n += t.elements();
                }
            }
        }
        return n;
    }

    /**
     * Read bandwidth in GB/s (1e9 bytes) with the pool's threads: the median of several passes over a
     * buffer of {@code bufferBytes}, which should be far larger than the last-level cache.
     */
    public static double measureReadGbps(WorkerPool pool, long bufferBytes) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = HugePages.allocate(arena, bufferBytes / 64 * 64); // as the weight copies are
            buffer.fill((byte) 1);
            double sink = MemoryBandwidth.warmUp(pool) + MemoryBandwidth.read(pool, buffer);
            long[] nanos = new long[7];
            for (int i = 0; i < nanos.length; i++) {
                long start = System.nanoTime();
                sink += MemoryBandwidth.read(pool, buffer);
                nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            if (sink == 42) {
                System.out.print("");
            }
            return buffer.byteSize() / (double) nanos[nanos.length / 2];
        }
    }
}
