package dev.jllm.model.cache;

import dev.jllm.core.ops.Elementwise;
import dev.jllm.core.ops.Softmax;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of one query token against a {@link KvCache} for query heads that share one key/value head
 * (grouped-query attention): {@code softmax(scale · q·Kᵀ)·V} per query head. Each key and value row is read from the
 * cache once, as floats, in chunks of {@link #CHUNK} positions that stay in the first-level cache, and serves every
 * query head of the group. {@link KvCache#keyScores} and {@link KvCache#addValues}, called per query head, read each
 * row once per head, one call per row: seven times over in Qwen2.5-0.5B (seven query heads to a key/value head).
 * Scores and sums are added in the order those two methods use, so an F16 cache gives the same floats.
 *
 * <p>An instance holds scratch buffers: one per thread.
 */
public final class CachedAttention {
    /** Positions read from the cache at a time: 64 rows of 128 floats are 32 KiB. */
    static final int CHUNK = 64;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private float[] rows = new float[0];
    private float[] scores = new float[0];

    /**
     * For query heads {@code i} in {@code [0, heads)}, with queries at {@code q[qOffset + i·headDim ..]}: the
     * attention over positions {@code [from, to)} of key/value head {@code kvHead} of {@code layer}, written to
     * {@code out[outOffset + i·headDim ..]}.
     *
     * @throws IllegalArgumentException if the range is empty or outside the cache
     */
    public void attend(KvCache cache, int layer, int kvHead, float[] q, int qOffset, int heads, float scale, int from,
            int to, float[] out, int outOffset) {
        if (from >= to) {
            throw new IllegalArgumentException("attention over no positions (" + from + ".." + to + ")");
        }
        int headDim = cache.headDim();
        int span = to - from;
        if (rows.length < CHUNK * headDim) {
            rows = new float[CHUNK * headDim];
        }
        if (scores.length < heads * span) {
            scores = new float[Math.max(heads * span, 2 * scores.length)];
        }
        for (int p = from; p < to; p += CHUNK) {
            int n = Math.min(CHUNK, to - p);
            cache.readKeys(layer, kvHead, p, p + n, rows, 0);
            for (int i = 0; i < heads; i++) {
                int at = i * span + p - from;
                for (int r = 0; r < n; r++) {
                    scores[at + r] = dot(rows, r * headDim, q, qOffset + i * headDim, headDim);
                }
            }
        }
        for (int i = 0; i < heads; i++) {
            Elementwise.scale(scores, i * span, scores, i * span, scale, span);
            Softmax.apply(scores, i * span, span);
            Arrays.fill(out, outOffset + i * headDim, outOffset + (i + 1) * headDim, 0f);
        }
        for (int p = from; p < to; p += CHUNK) {
            int n = Math.min(CHUNK, to - p);
            cache.readValues(layer, kvHead, p, p + n, rows, 0);
            for (int i = 0; i < heads; i++) {
                addWeighted(scores, i * span + p - from, rows, n, headDim, out, outOffset + i * headDim);
            }
        }
    }

    /** q·k in the cache kernels' order: two accumulators over pairs of vectors, a lone vector, then the tail. */
    private static float dot(float[] k, int kOffset, float[] q, int qOffset, int count) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i <= count - 2 * L; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, k, kOffset + i).fma(FloatVector.fromArray(F, q, qOffset + i), acc0);
            acc1 = FloatVector.fromArray(F, k, kOffset + i + L).fma(FloatVector.fromArray(F, q, qOffset + i + L),
                    acc1);
        }
        for (; i <= count - L; i += L) {
            acc0 = FloatVector.fromArray(F, k, kOffset + i).fma(FloatVector.fromArray(F, q, qOffset + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < count; i++) {
            sum += k[kOffset + i] * q[qOffset + i];
        }
        return sum;
    }

    /**
     * {@code out[d] += Σ_r weights[w + r]·rows[r·headDim + d]}, position after position as {@link Elementwise#axpy}
     * adds them, with out held in registers across the chunk: four vectors at a time, so that four chains of FMAs
     * overlap (one chain waits out each FMA's latency).
     */
    private static void addWeighted(float[] weights, int w, float[] rows, int n, int headDim, float[] out,
            int outOffset) {
        int d = 0;
        for (; d + 4 * L <= headDim; d += 4 * L) {
            int o = outOffset + d;
            FloatVector acc0 = FloatVector.fromArray(F, out, o);
            FloatVector acc1 = FloatVector.fromArray(F, out, o + L);
            FloatVector acc2 = FloatVector.fromArray(F, out, o + 2 * L);
            FloatVector acc3 = FloatVector.fromArray(F, out, o + 3 * L);
            for (int r = 0; r < n; r++) {
                FloatVector weight = FloatVector.broadcast(F, weights[w + r]);
                int at = r * headDim + d;
                acc0 = FloatVector.fromArray(F, rows, at).fma(weight, acc0);
                acc1 = FloatVector.fromArray(F, rows, at + L).fma(weight, acc1);
                acc2 = FloatVector.fromArray(F, rows, at + 2 * L).fma(weight, acc2);
                acc3 = FloatVector.fromArray(F, rows, at + 3 * L).fma(weight, acc3);
            }
            acc0.intoArray(out, o);
            acc1.intoArray(out, o + L);
            acc2.intoArray(out, o + 2 * L);
            acc3.intoArray(out, o + 3 * L);
        }
        for (; d < F.loopBound(headDim); d += L) {
            FloatVector acc = FloatVector.fromArray(F, out, outOffset + d);
            for (int r = 0; r < n; r++) {
                acc = FloatVector.fromArray(F, rows, r * headDim + d)
                        .fma(FloatVector.broadcast(F, weights[w + r]), acc);
            }
            acc.intoArray(out, outOffset + d);
        }
        for (; d < headDim; d++) {
            float acc = out[outOffset + d];
            for (int r = 0; r < n; r++) {
                acc = Math.fma(weights[w + r], rows[r * headDim + d], acc);
            }
            out[outOffset + d] = acc;
        }
    }
}
