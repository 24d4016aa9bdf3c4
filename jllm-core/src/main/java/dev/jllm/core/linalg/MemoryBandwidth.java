package dev.jllm.core.linalg;

import dev.jllm.core.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * STREAM-like memory passes that give the roofline a GEMV is held to: a read (sum of a buffer,
 * the access pattern of streaming weights) and a triad ({@code a = b + s·c}). Each pass splits
 * its buffers into one contiguous, cache-line-aligned range per worker. The caller times passes;
 * buffers must be much larger than the last-level cache to measure memory rather than cache.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LINE = 64;

    private MemoryBandwidth() {
    }

    /**
     * Compiles the passes before they are timed: 400 of each on buffers of 256 KiB and 1 to 16 lines more, sizes
     * whose remainders run every loop on every worker. A timed pass over a buffer far larger than the cache is one
     * call per worker, too few for the JIT, and a loop C2 never saw run sends the pass back to the interpreter.
     */
    public static double warmUp(WorkerPool pool) {
        long most = (256 << 10) + 16 * LINE;
        double sink = 0;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            MemorySegment a = arena.allocate(most, LINE);
            MemorySegment b = arena.allocate(most, LINE);
            MemorySegment c = arena.allocate(most, LINE);
            b.fill((byte) 0x3F);
            c.fill((byte) 0x3F);
            for (int i = 0; i < 400; i++) {
                long bytes = (256 << 10) + (1 + i % 16) * LINE;
                sink += read(pool, b.asSlice(0, bytes));
                triad(pool, a.asSlice(0, bytes), b.asSlice(0, bytes), c.asSlice(0, bytes), 0.5f);
            }
        }
        return sink;
    }

    /**
     * Reads every float of {@code buffer} once across the pool and returns their sum (so the
     * reads cannot be optimised away). The byte size must be a multiple of 64.
     */
    public static double read(WorkerPool pool, MemorySegment buffer) {
        return read(pool, buffer, STREAMS);
    }

    /**
     * As {@link #read(WorkerPool, MemorySegment)}, each worker's range read as {@code streams} interleaved streams
     * (1 to 64), to show what the stream count does to the rate.
     *
     * @throws IllegalArgumentException if streams is outside 1–64
     */
    public static double read(WorkerPool pool, MemorySegment buffer, int streams) {
        if (streams < 1 || streams > 64) {
            throw new IllegalArgumentException("streams must be 1 to 64, got " + streams);
        }
        long lines = buffer.byteSize() / LINE;
        double[] partial = new double[pool.threads()];
        pool.run((w, n) -> {
            long from = lines * w / n * LINE;
            long to = w == n - 1 ? buffer.byteSize() : lines * (w + 1) / n * LINE;
            partial[w] = sum(buffer, from, to, streams);
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }

    /**
     * {@code a[i] = b[i] + s·c[i]} over all floats of three equal-sized buffers across
     * the pool; moves 3 × a.byteSize() bytes.
     */
    public static void triad(WorkerPool pool, MemorySegment a, MemorySegment b, MemorySegment c, float s) {
        if (a.byteSize() != b.byteSize() || a.byteSize() != c.byteSize()) {
            throw new IllegalArgumentException("triad buffers differ in size: " + a.byteSize() + ", "
                    + b.byteSize() + ", " + c.byteSize());
        }
        long lines = a.byteSize() / LINE;
        pool.run((w, n) -> triad(a, b, c, s, lines * w / n * LINE,
                w == n - 1 ? a.byteSize() : lines * (w + 1) / n * LINE));
    }

    /** Streams each worker's range of a read is split into by default (see {@link #sum}). */
    public static final int STREAMS = 8;

    /**
     * Sum of the floats in bytes [from, to) of {@code seg}, read as {@code streams} interleaved streams of 256 bytes
     * at a time; four accumulators hide the add latency. The hardware prefetchers keep a few lines in flight per
     * stream, so one stream per core reads memory far below its bandwidth here: one thread read 9–10 GB/s as one
     * stream and 17 GB/s as four or more (docs/BENCHMARKS.md, session 10). The roofline is what memory gives.
     */
    static float sum(MemorySegment seg, long from, long to, int streams) {
        long step = S.vectorByteSize();
        long chunk = 4 * step;
        long part = (to - from) / streams / chunk * chunk;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (long off = 0; off < part; off += chunk) {
            for (int s = 0; s < streams; s++) {
                long at = from + s * part + off;
                a0 = a0.add(FloatVector.fromMemorySegment(S, seg, at, ByteOrder.LITTLE_ENDIAN));
                a1 = a1.add(FloatVector.fromMemorySegment(S, seg, at + step, ByteOrder.LITTLE_ENDIAN));
                a2 = a2.add(FloatVector.fromMemorySegment(S, seg, at + 2 * step, ByteOrder.LITTLE_ENDIAN));
                a3 = a3.add(FloatVector.fromMemorySegment(S, seg, at + 3 * step, ByteOrder.LITTLE_ENDIAN));
            }
        }
        long at = from + streams * part;
        for (; at + chunk <= to; at += chunk) {
            a0 = a0.add(FloatVector.fromMemorySegment(S, seg, at, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(S, seg, at + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(S, seg, at + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(S, seg, at + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        float total = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; at + 4 <= to; at += 4) {
            total += seg.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, at);
        }
        return total;
    }

    private static void triad(MemorySegment a, MemorySegment b, MemorySegment c, float s, long from, long to) {
        long step = S.vectorByteSize();
        FloatVector vs = FloatVector.broadcast(S, s);
        long at = from;
        for (; at + step <= to; at += step) {
            FloatVector vb = FloatVector.fromMemorySegment(S, b, at, ByteOrder.LITTLE_ENDIAN);
            FloatVector vc = FloatVector.fromMemorySegment(S, c, at, ByteOrder.LITTLE_ENDIAN);
            vc.fma(vs, vb).intoMemorySegment(a, at, ByteOrder.LITTLE_ENDIAN);
        }
        var f = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
        for (; at + 4 <= to; at += 4) {
            a.set(f, at, b.get(f, at) + s * c.get(f, at));
        }
    }
}
