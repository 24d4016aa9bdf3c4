package dev.jllm.bench;

import dev.jllm.core.linalg.MemoryBandwidth;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.HugePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory roofline of a GEMV: one read pass (sum) and one triad over off-heap buffers much
 * larger than the last-level cache. GB/s = sizeMib·2²⁰ (read) or 3·sizeMib·2²⁰ (triad) / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MemoryReadBenchmark {
    @Param({"1", "2"})
    public int threads;

    @Param({"1200"})
    public int sizeMib;

    /** Interleaved streams each worker's read is split into: one core's prefetchers fill up only with several. */
    @Param({"1", "2", "4", "8"})
    public int streams;

    private Arena arena;
    private WorkerPool pool;
    private MemorySegment buffer;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        arena = Arena.ofShared();
        long bytes = (long) sizeMib << 20;
        buffer = HugePages.allocate(arena, bytes); // as the weight copies are
        buffer.fill((byte) 0x3F); // 0x3F3F3F3F is a normal float: no denormal slow paths in the sum
        long third = bytes / 3 / 64 * 64;
        a = buffer.asSlice(0, third);
        b = buffer.asSlice(third, third);
        c = buffer.asSlice(2 * third, third);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public double read() {
        return MemoryBandwidth.read(pool, buffer, streams);
    }

    @Benchmark
    public MemorySegment triad() {
        MemoryBandwidth.triad(pool, a, b, c, 0.5f);
        return a;
    }
}
