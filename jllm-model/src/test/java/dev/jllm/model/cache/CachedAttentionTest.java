package dev.jllm.model.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jllm.core.ops.Elementwise;
import dev.jllm.core.ops.Softmax;
import dev.jllm.core.tensor.DType;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Grouped single-token attention against softmax(q·Kᵀ)·V in double over the values the cache holds, and, on F16
 * caches, against the per-head {@link KvCache#keyScores} and {@link KvCache#addValues} path float for float.
 */
class CachedAttentionTest {

    @ParameterizedTest
    @CsvSource({
        "F32, 64, 2, 7, 0, 200",   // Qwen2.5-0.5B's shape, several chunks
        "F16, 64, 2, 7, 0, 200",
        "Q8_0, 64, 2, 7, 0, 200",
        "F16, 128, 1, 4, 250, 600", // a window that starts mid-page and crosses a page
        "F16, 40, 3, 1, 0, 1",      // one position, a head width with a vector tail, no grouping
        "F32, 80, 2, 3, 0, 65",     // one position past a chunk
    })
    void matchesTheReference(DType type, int headDim, int kvHeads, int group, int from, int to) {
        Random random = new Random(headDim * 31L + to);
        int layers = 2;
        int layer = 1;
        try (KvCache cache = new KvCache(type, layers, kvHeads, headDim, 1024)) {
            int width = kvHeads * headDim;
            for (int p = 0; p < to; p++) {
                float[] k = gaussian(random, width, 1.5);
                float[] v = gaussian(random, width, 1.0);
                cache.store(0, p, k, 0, v, 0);
                cache.store(layer, p, k, 0, v, 0);
            }
            float scale = (float) (1 / Math.sqrt(headDim));
            float[] q = gaussian(random, 3 + group * headDim, 1.0);
            CachedAttention attention = new CachedAttention();
            for (int g = 0; g < kvHeads; g++) {
                float[] out = new float[5 + group * headDim];
                attention.attend(cache, layer, g, q, 3, group, scale, from, to, out, 5);
                float[] keys = new float[(to - from) * headDim];
                float[] values = new float[(to - from) * headDim];
                cache.readKeys(layer, g, from, to, keys, 0);
                cache.readValues(layer, g, from, to, values, 0);
                for (int h = 0; h < group; h++) {
                    double[] expected = reference(q, 3 + h * headDim, keys, values, headDim, to - from, scale);
                    for (int d = 0; d < headDim; d++) {
                        assertEquals(expected[d], out[5 + h * headDim + d], 2e-5 * (1 + Math.abs(expected[d])),
                                type + " head " + h + " of group " + g + ", value " + d);
                    }
                    if (type == DType.F16) {
                        float[] scores = new float[to - from];
                        cache.keyScores(layer, g, q, 3 + h * headDim, from, to, scores, 0);
                        Elementwise.scale(scores, 0, scores, 0, scale, scores.length);
                        Softmax.apply(scores, 0, scores.length);
                        float[] perHead = new float[headDim];
                        cache.addValues(layer, g, scores, 0, from, to, perHead, 0);
                        float[] got = java.util.Arrays.copyOfRange(out, 5 + h * headDim, 5 + (h + 1) * headDim);
                        assertArrayEquals(perHead, got, 0f, "F16 head " + h + " against the per-head path");
                    }
                }
            }
        }
    }

    @Test
    void refusesAnEmptyRange() {
        try (KvCache cache = new KvCache(DType.F32, 1, 1, 16, 8)) {
            float[] q = new float[16];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new CachedAttention().attend(cache, 0, 0, q, 0, 1, 1f, 3, 3, new float[16], 0));
            assertEquals("attention over no positions (3..3)", e.getMessage());
        }
    }

    private static double[] reference(float[] q, int qOffset, float[] keys, float[] values, int headDim, int span,
            float scale) {
        double[] scores = new double[span];
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < span; p++) {
            double s = 0;
            for (int d = 0; d < headDim; d++) {
                s += (double) q[qOffset + d] * keys[p * headDim + d];
            }
            scores[p] = s * scale;
            max = Math.max(max, scores[p]);
        }
        double sum = 0;
        for (int p = 0; p < span; p++) {
            scores[p] = Math.exp(scores[p] - max);
            sum += scores[p];
        }
        double[] out = new double[headDim];
        for (int p = 0; p < span; p++) {
            for (int d = 0; d < headDim; d++) {
                out[d] += scores[p] / sum * values[p * headDim + d];
            }
        }
        return out;
    }

    private static float[] gaussian(Random random, int n, double sd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * sd);
        }
        return x;
    }
}
