package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SoftmaxTest {

    @Test
    void knownValues() {
        float[] x = {1, 2, 3};
        Softmax.applyReference(x, 0, 3);
        assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f}, x, 1e-7f);
        float[] big = {1000, 1000, Float.NEGATIVE_INFINITY, 999};
        Softmax.apply(big, 0, 4);
        double e = Math.exp(-1);
        assertArrayEquals(new float[] {(float) (1 / (2 + e)), (float) (1 / (2 + e)), 0, (float) (e / (2 + e))}, big,
                1e-6f);
        float[] one = {-7};
        Softmax.apply(one, 0, 1);
        assertEquals(1f, one[0]);
    }

    @Test
    void simdMatchesTwinAndSumsToOne() {
        Random rnd = new Random(31);
        for (int n : OpsTestData.SIZES) {
            float[] x = OpsTestData.gaussian(rnd, n + 4, 4);
            if (n > 1) {
                x[2] = Float.NEGATIVE_INFINITY; // a masked position
            }
            float[] s = x.clone();
            float[] r = x.clone();
            Softmax.apply(s, 2, n);
            Softmax.applyReference(r, 2, n);
            OpsTestData.assertClose(r, 2, s, 2, n, 1e-5, 1e-12, "softmax");
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += s[2 + i];
                assertTrue(s[2 + i] >= 0);
            }
            assertEquals(1.0, sum, 1e-5, "sum of " + n);
            assertEquals(x[0], s[0]);
            assertEquals(x[n + 3], s[n + 3]);
        }
    }

    @Test
    void badRangeThrows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Softmax.apply(new float[4], 2, 3));
        assertTrue(e.getMessage().contains("length 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Softmax.applyReference(new float[4], 0, 0));
    }
}
