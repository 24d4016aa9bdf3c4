package dev.jllm.model.encoder;

import dev.jllm.core.ops.Softmax;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Bidirectional attention of one head over a short sequence, in vector loops: each query's scaled dot
 * products with every key, their softmax, and the weighted sum of the values. For a few tokens this
 * beats two matrix products, whose packing costs more than the arithmetic.
 *
 * <p>The keys are first copied transposed, a row per head column padded to whole vectors, so that a query's
 * scores for a vector of keys are one FMA per head column with no sum across lanes; the values are summed
 * in vectors along the head's columns.
 */
final class AttentionHead {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private AttentionHead() {
    }

    /** Scratch floats {@link #attend} needs for n tokens of headDim columns. */
    static int scratchFloats(int n, int headDim) {
        return (n + headDim) * padded(n);
    }

    /** n rounded up to whole vectors: the row length of the transposed keys and of the scores. */
    private static int padded(int n) {
        return (n + L - 1) / L * L;
    }

    /**
     * Attends {@code n} tokens: token t's query at {@code qAt + t·stride} (likewise keys and values), its
     * {@code headDim} outputs at {@code outAt + t·outStride}.
     *
     * @param scratch at least {@link #scratchFloats} floats
     */
    static void attend(int n, int headDim, float scale, float[] q, int qAt, float[] k, int kAt, float[] v, int vAt,
            int stride, float[] scratch, float[] out, int outAt, int outStride) {
        int width = padded(n);
        // keys transposed: key j's column c at keysAt + c·width + j, zeros past n
        int keysAt = n * width;
        for (int c = 0; c < headDim; c++) {
            int row = keysAt + c * width;
            for (int j = 0; j < n; j++) {
                scratch[row + j] = k[kAt + j * stride + c];
            }
            for (int j = n; j < width; j++) {
                scratch[row + j] = 0f;
            }
        }
        int bound = F.loopBound(headDim);
        for (int i = 0; i < n; i++) {
            int qi = qAt + i * stride;
            int si = i * width;
            for (int j0 = 0; j0 < width; j0 += L) {
                // two chains: one FMA's latency is longer than the loop's other work
                FloatVector even = FloatVector.zero(F);
                FloatVector odd = even;
                int c = 0;
                for (; c + 1 < headDim; c += 2) {
                    int at = keysAt + c * width + j0;
                    even = FloatVector.fromArray(F, scratch, at).fma(FloatVector.broadcast(F, q[qi + c]), even);
                    odd = FloatVector.fromArray(F, scratch, at + width)
                            .fma(FloatVector.broadcast(F, q[qi + c + 1]), odd);
                }
                if (c < headDim) {
                    even = FloatVector.fromArray(F, scratch, keysAt + c * width + j0)
                            .fma(FloatVector.broadcast(F, q[qi + c]), even);
                }
                even.add(odd).mul(scale).intoArray(scratch, si + j0);
            }
            Softmax.apply(scratch, si, n);
            int oi = outAt + i * outStride;
            int c = 0;
            for (; c < bound; c += L) {
                FloatVector acc = FloatVector.zero(F);
                for (int j = 0; j < n; j++) {
                    FloatVector p = FloatVector.broadcast(F, scratch[si + j]);
                    acc = FloatVector.fromArray(F, v, vAt + j * stride + c).fma(p, acc);
                }
                acc.intoArray(out, oi + c);
            }
            for (; c < headDim; c++) {
                float sum = 0;
                for (int j = 0; j < n; j++) {
                    sum += scratch[si + j] * v[vAt + j * stride + c];
                }
                out[oi + c] = sum;
            }
        }
    }
}
