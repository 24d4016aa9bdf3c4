package dev.jllm.bench;

import dev.jllm.core.ops.Elementwise;
import dev.jllm.core.ops.Softmax;
import dev.jllm.core.tensor.DType;
import dev.jllm.model.cache.CachedAttention;
import dev.jllm.model.cache.KvCache;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * One layer of single-token attention on one thread, Qwen2.5-0.5B's shape (2 key/value heads of 64, 7 query heads
 * each, an F16 cache), over {@code span} cached positions: {@code grouped} through {@link CachedAttention}, which reads
 * each key and value row once per key/value head, {@code perHead} through {@link KvCache#keyScores} and
 * {@link KvCache#addValues} per query head, as decode attention ran before it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class AttentionBenchmark {
    private static final int HEAD_DIM = 64;
    private static final int KV_HEADS = 2;
    private static final int GROUP = 7;

    @Param({"136", "512", "2048"})
    public int span;

    private KvCache cache;
    private float[] q;
    private float[] out;
    private float[] scores;
    private final CachedAttention attention = new CachedAttention();

    @Setup
    public void setUp() {
        cache = new KvCache(DType.F16, 1, KV_HEADS, HEAD_DIM, span);
        Random random = new Random(1);
        float[] k = new float[KV_HEADS * HEAD_DIM];
        float[] v = new float[KV_HEADS * HEAD_DIM];
        for (int p = 0; p < span; p++) {
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) random.nextGaussian();
                v[i] = (float) random.nextGaussian();
            }
            cache.store(0, p, k, 0, v, 0);
        }
        q = new float[KV_HEADS * GROUP * HEAD_DIM];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) random.nextGaussian();
        }
        out = new float[q.length];
        scores = new float[span];
    }

    @TearDown
    public void tearDown() {
        cache.close();
    }

    @Benchmark
    public float[] grouped() {
        for (int g = 0; g < KV_HEADS; g++) {
            attention.attend(cache, 0, g, q, g * GROUP * HEAD_DIM, GROUP, 0.125f, 0, span, out, g * GROUP * HEAD_DIM);
        }
        return out;
    }

    @Benchmark
    public float[] perHead() {
        for (int h = 0; h < KV_HEADS * GROUP; h++) {
            cache.keyScores(0, h / GROUP, q, h * HEAD_DIM, 0, span, scores, 0);
            Elementwise.scale(scores, 0, scores, 0, 0.125f, span);
            Softmax.apply(scores, 0, span);
            Arrays.fill(out, h * HEAD_DIM, (h + 1) * HEAD_DIM, 0f);
            cache.addValues(0, h / GROUP, scores, 0, 0, span, out, h * HEAD_DIM);
        }
        return out;
    }
}
