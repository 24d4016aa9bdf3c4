package dev.jllm.model.encoder;

import dev.jllm.core.ops.Softmax;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Bidirectional attention of one head over a short sequence, in vector loops: each query's scaled dot
 * products with every key, their softmax, and the weighted sum of the values. For a few tokens this
 * beats two matrix products, whose packing costs more than the arithmetic.
 */
final class AttentionHead {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private AttentionHead() {
    }

    /**
     * Attends {@code n} tokens: token t's query at {@code qAt + t·stride} (likewise keys and values), its
     * {@code headDim} outputs at {@code outAt + t·outStride}.
     *
     * @param scores scratch of at least n² floats
     */
    static void attend(int n, int headDim, float scale, float[] q, int qAt, float[] k, int kAt, float[] v, int vAt,
            int stride, float[] scores, float[] out, int outAt, int outStride) {
        int bound = F.loopBound(headDim);
        for (int i = 0; i < n; i++) {
            int qi = qAt + i * stride;
            for (int j = 0; j < n; j++) {
                int kj = kAt + j * stride;
                float dot = 0;
                int c = 0;
                if (bound > 0) {
                    FloatVector acc = FloatVector.fromArray(F, q, qi).mul(FloatVector.fromArray(F, k, kj));
                    for (c = F.length(); c < bound; c += F.length()) {
                        acc = FloatVector.fromArray(F, q, qi + c).fma(FloatVector.fromArray(F, k, kj + c), acc);
                    }
                    dot = acc.reduceLanes(VectorOperators.ADD);
                }
                for (; c < headDim; c++) {
                    dot += q[qi + c] * k[kj + c];
                }
                scores[i * n + j] = dot * scale;
            }
            Softmax.apply(scores, i * n, n);
            int oi = outAt + i * outStride;
            int c = 0;
            for (; c < bound; c += F.length()) {
                FloatVector acc = FloatVector.zero(F);
                for (int j = 0; j < n; j++) {
                    FloatVector p = FloatVector.broadcast(F, scores[i * n + j]);
                    acc = FloatVector.fromArray(F, v, vAt + j * stride + c).fma(p, acc);
                }
                acc.intoArray(out, oi + c);
            }
            for (; c < headDim; c++) {
                float sum = 0;
                for (int j = 0; j < n; j++) {
                    sum += scores[i * n + j] * v[vAt + j * stride + c];
                }
                out[oi + c] = sum;
            }
        }
    }
}
