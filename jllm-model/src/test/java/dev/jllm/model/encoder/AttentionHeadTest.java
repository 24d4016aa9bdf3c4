package dev.jllm.model.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AttentionHeadTest {

    /**
     * One head over n tokens whose q, k and v rows interleave in one array (as the packed encoder lays
     * them out), against attention written out in doubles: scaled dot products, a max-subtracted softmax,
     * the weighted sum. Head sizes cross the vector length and leave tails; outputs around the head's
     * columns stay untouched.
     */
    @Test
    void matchesAttentionInDoubles() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int headDim : new int[] {1, 7, 16, 32, 33, 40}) {
            for (int n : new int[] {1, 2, 5, 11, 31}) {
                int stride = 3 * headDim + 5;
                float[] qkv = new float[2 + n * stride];
                for (int i = 0; i < qkv.length; i++) {
                    qkv[i] = (float) rng.nextGaussian();
                }
                int qAt = 2;
                int kAt = 2 + headDim + 1;
                int vAt = 2 + 2 * headDim + 3;
                int outStride = headDim + 3;
                float[] out = new float[1 + n * outStride];
                Arrays.fill(out, 9f);
                float scale = (float) (1 / Math.sqrt(headDim));
                AttentionHead.attend(n, headDim, scale, qkv, qAt, qkv, kAt, qkv, vAt, stride, new float[AttentionHead.scratchFloats(n, headDim)], out, 1,
                        outStride);
                for (int i = 0; i < n; i++) {
                    double[] p = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double dot = 0;
                        for (int c = 0; c < headDim; c++) {
                            dot += (double) qkv[qAt + i * stride + c] * qkv[kAt + j * stride + c];
                        }
                        p[j] = dot * scale;
                        max = Math.max(max, p[j]);
                    }
                    double total = 0;
                    for (int j = 0; j < n; j++) {
                        p[j] = Math.exp(p[j] - max);
                        total += p[j];
                    }
                    for (int c = 0; c < outStride; c++) {
                        float got = out[1 + i * outStride + c];
                        if (c >= headDim) {
                            assertEquals(9f, got, "column " + c + " past the head, token " + i);
                            continue;
                        }
                        double want = 0;
                        for (int j = 0; j < n; j++) {
                            want += p[j] / total * qkv[vAt + j * stride + c];
                        }
                        assertEquals(want, got, 1e-5 * Math.max(1, Math.abs(want)),
                                "headDim " + headDim + " n " + n + " token " + i + " column " + c);
                    }
                }
                assertEquals(9f, out[0]);
            }
        }
    }
}
