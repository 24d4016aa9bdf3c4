package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

/** Random inputs and comparisons shared by the ops tests. */
final class OpsTestData {
    static final int[] SIZES = {1, 15, 17, 1000, 4097};

    private OpsTestData() {
    }

    static float[] gaussian(Random rnd, int n, double sigma) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * sigma);
        }
        return a;
    }

    /** Asserts |a − e| ≤ rel·|e| + abs element by element over {@code n} values at the offsets. */
    static void assertClose(float[] expected, int eOffset, float[] actual, int aOffset, int n, double rel, double abs,
            String what) {
        for (int i = 0; i < n; i++) {
            float e = expected[eOffset + i];
            float a = actual[aOffset + i];
            assertEquals(e, a, rel * Math.abs(e) + abs, what + " at " + i + " of " + n);
        }
    }
}
