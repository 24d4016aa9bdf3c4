package dev.jllm.bench;

import dev.jllm.core.linalg.MatVec;
import dev.jllm.core.linalg.RandomWeights;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
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
 * One GEMV per operation over a weight matrix of each type. The operation cycles through copies
 * of the matrix filling {@code footprintMib}, so weights stream from memory as in a decode step;
 * GB/s = weight bytes ({@code rows × type.bytesFor(cols)}) / time per operation. Types without
 * kernels in this build fail their setup; pick types with {@code -p type=F32,Q4_0}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemvBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
        "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "NF4"})
    public String type;

    @Param({"1", "2"})
    public int threads;

    @Param({"4096"})
    public int rows;

    @Param({"4096"})
    public int cols;

    @Param({"1024"})
    public int footprintMib;

    private Arena arena;
    private WorkerPool pool;
    private WeightKernel kernel;
    private Tensor[] weights;
    private int next;
    private float[] x;
    private float[] y;

    @Setup(Level.Trial)
    public void setUp() {
        DType t = DType.valueOf(type);
        if (!WeightKernels.hasKernels(t)) {
            throw new IllegalStateException("no kernels for " + t + " in this build");
        }
        kernel = WeightKernels.simd(t);
        pool = new WorkerPool(threads);
        arena = Arena.ofShared();
        Tensor first = RandomWeights.gaussian(arena, t, rows, cols, 1, Math.min(rows, 64));
        long bytes = first.data().byteSize();
        int copies = (int) Math.max(1, ((long) footprintMib << 20) / bytes);
        weights = new Tensor[copies];
        weights[0] = first;
        for (int i = 1; i < copies; i++) {
            MemorySegment seg = arena.allocate(bytes, 64);
            seg.copyFrom(first.data());
            weights[i] = Tensor.wrap(t, seg, rows, cols);
        }
        Random rnd = new Random(2);
        x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        y = new float[rows];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float[] gemv() {
        Tensor w = weights[next];
        next = next + 1 == weights.length ? 0 : next + 1;
        MatVec.multiply(pool, kernel, w, x, 0, y, 0);
        return y;
    }
}
