package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class NormTest {

    @Test
    void rmsNormKnownValues() {
        float[] out = new float[4];
        RmsNorm.applyReference(out, 0, new float[] {1, 2, 3, 4}, 0, new float[] {1, 1, 1, 2}, 0, 4, 0f);
        double rms = Math.sqrt(7.5);
        assertArrayEquals(new float[] {(float) (1 / rms), (float) (2 / rms), (float) (3 / rms), (float) (8 / rms)},
                out, 1e-6f);
        // eps dominates a zero vector instead of dividing by zero
        RmsNorm.apply(out, 0, new float[4], 0, new float[] {1, 1, 1, 1}, 0, 4, 1e-5f);
        assertArrayEquals(new float[4], out);
    }

    @Test
    void rmsNormSimdMatchesTwin() {
        Random rnd = new Random(21);
        for (int n : OpsTestData.SIZES) {
            float[] x = OpsTestData.gaussian(rnd, n + 2, 3);
            float[] w = OpsTestData.gaussian(rnd, n + 1, 1);
            float[] s = new float[n];
            float[] r = new float[n];
            RmsNorm.apply(s, 0, x, 2, w, 1, n, 1e-6f);
            RmsNorm.applyReference(r, 0, x, 2, w, 1, n, 1e-6f);
            OpsTestData.assertClose(r, 0, s, 0, n, 1e-5, 1e-7, "RMSNorm");
            // in place
            RmsNorm.apply(x, 2, x, 2, w, 1, n, 1e-6f);
            OpsTestData.assertClose(r, 0, x, 2, n, 1e-5, 1e-7, "RMSNorm in place");
        }
    }

    @Test
    void layerNormKnownValues() {
        float[] out = new float[4];
        LayerNorm.applyReference(out, 0, new float[] {1, 2, 3, 4}, 0, new float[] {1, 1, 1, 1}, 0, null, 0, 4, 0f);
        float a = (float) (1.5 / Math.sqrt(1.25));
        float b = (float) (0.5 / Math.sqrt(1.25));
        assertArrayEquals(new float[] {-a, -b, b, a}, out, 1e-6f);
        LayerNorm.apply(out, 0, new float[] {1, 2, 3, 4}, 0, new float[] {2, 2, 2, 2}, 0, new float[] {1, 1, 1, 1}, 0,
                4, 0f);
        assertArrayEquals(new float[] {1 - 2 * a, 1 - 2 * b, 1 + 2 * b, 1 + 2 * a}, out, 1e-6f);
    }

    @Test
    void layerNormSimdMatchesTwin() {
        Random rnd = new Random(22);
        for (int n : OpsTestData.SIZES) {
            float[] x = OpsTestData.gaussian(rnd, n + 1, 2);
            for (int i = 0; i < x.length; i++) {
                x[i] += 5; // an offset mean exercises the centring
            }
            float[] w = OpsTestData.gaussian(rnd, n, 1);
            float[] bias = OpsTestData.gaussian(rnd, n + 3, 1);
            for (float[] bb : new float[][] {null, bias}) {
                float[] s = new float[n];
                float[] r = new float[n];
                LayerNorm.apply(s, 0, x, 1, w, 0, bb, 3, n, 1e-5f);
                LayerNorm.applyReference(r, 0, x, 1, w, 0, bb, 3, n, 1e-5f);
                OpsTestData.assertClose(r, 0, s, 0, n, 1e-4, 2e-5, "LayerNorm");
            }
        }
    }

    @Test
    void badArgumentsThrow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RmsNorm.apply(new float[8], 0, new float[8], 0, new float[7], 0, 8, 1e-5f));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("length 7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(new float[8], 0, new float[8], 0,
                new float[8], 0, new float[6], 0, 8, 1e-5f));
        assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("length 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> RmsNorm.applyReference(new float[8], 0, new float[8], 0, new float[8], 0, 0, 1e-5f));
        assertEquals(0, 0);
    }
}
