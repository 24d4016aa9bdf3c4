package dev.jllm.bench;

import dev.jllm.core.linalg.MatMul;
import dev.jllm.core.linalg.RandomWeights;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
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
 * Prefill: {@code tokens} activations against a 4096×4096 weight matrix of each type;
 * GFLOP/s = 2·tokens·rows·cols / time per operation. Types without kernels fail their setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatMulBenchmark {
    @Param({"F32", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;

    @Param({"32", "256"})
    public int tokens;

    @Param({"1", "2"})
    public int threads;

    @Param({"4096"})
    public int rows;

    @Param({"4096"})
    public int cols;

    private Arena arena;
    private WorkerPool pool;
    private Tensor weights;
    private float[] x;
    private float[] y;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        arena = Arena.ofShared();
        weights = RandomWeights.gaussian(arena, DType.valueOf(type), rows, cols, 1, Math.min(rows, 64));
        Random rnd = new Random(4);
        x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        y = new float[tokens * rows];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float[] prefill() {
        MatMul.multiply(pool, weights, x, tokens, y);
        return y;
    }
}
