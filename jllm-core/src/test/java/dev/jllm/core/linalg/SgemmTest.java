package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SgemmTest {
    private static WorkerPool one;
    private static WorkerPool three;

    @BeforeAll
    static void pools() {
        one = new WorkerPool(1);
        three = new WorkerPool(3);
    }

    @AfterAll
    static void close() {
        one.close();
        three.close();
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** Runs blocked and reference on the same random operands with padding around every matrix. */
    private static void compare(WorkerPool pool, boolean ta, boolean tb, int m, int n, int k,
                                float alpha, float beta, Random rnd) {
        int aRows = ta ? k : m;
        int aCols = ta ? m : k;
        int bRows = tb ? n : k;
        int bCols = tb ? k : n;
        int lda = aCols + 3;
        int ldb = bCols + 1;
        int ldc = n + 2;
        int aOff = 5;
        int bOff = 2;
        int cOff = 7;
        float[] a = random(rnd, aOff + aRows * lda);
        float[] b = random(rnd, bOff + bRows * ldb);
        float[] c = random(rnd, cOff + m * ldc + 4);
        float[] expected = c.clone();
        Sgemm.reference(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, expected, cOff, ldc);
        Sgemm.multiply(pool, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        String what = "m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb + " alpha=" + alpha
                + " beta=" + beta + " threads=" + pool.threads();
        float tol = 1e-4f * (float) Math.sqrt(k + 1) * 4;
        for (int i = 0; i < c.length; i++) {
            float e = expected[i];
            assertEquals(e, c[i], tol * Math.max(1f, Math.abs(e)), what + " at " + i);
        }
    }

    @Test
    void matchesReferenceOnOddSizesTransposesAndScalars() {
        Random rnd = new Random(1);
        int[] ms = {1, 3, 17, 33};
        int[] ns = {1, 7, 33, 65};
        int[] ks = {1, 5, 37};
        for (WorkerPool pool : new WorkerPool[] {one, three}) {
            for (int m : ms) {
                for (int n : ns) {
                    for (int k : ks) {
                        for (int t = 0; t < 4; t++) {
                            compare(pool, (t & 1) != 0, (t & 2) != 0, m, n, k, 1f, 0f, rnd);
                        }
                    }
                }
            }
            compare(pool, false, false, 17, 33, 5, 0.5f, 2f, rnd);
            compare(pool, true, true, 33, 7, 17, -1.5f, 1f, rnd);
            compare(pool, false, true, 3, 65, 37, 2f, -0.25f, rnd);
        }
    }

    @Test
    void crossesEveryBlockBoundary() {
        Random rnd = new Random(2);
        // m past MC, n past several slivers, k past KC so the panel loops all run more than once.
        int m = Sgemm.MC + 7;
        int n = GemmKernel.NR * 5 + 3;
        int k = Sgemm.KC * 2 + 9;
        compare(three, false, false, m, n, k, 1f, 0f, rnd);
        compare(three, true, true, m, n, k, 0.75f, 0.5f, rnd);
        compare(one, true, false, m, n, k, 1f, 1f, rnd);
    }

    @Test
    void compactFormUsesTightLeadingDimensions() {
        Random rnd = new Random(3);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            float[] a = random(rnd, 5 * 9);
            float[] b = random(rnd, 9 * 7);
            float[] c = random(rnd, 5 * 7);
            float[] expected = new float[5 * 7];
            Sgemm.reference(ta, tb, 5, 7, 9, 1f, a, 0, ta ? 5 : 9, b, 0, tb ? 9 : 7, 0f, expected, 0, 7);
            Sgemm.multiply(three, ta, tb, 5, 7, 9, a, b, c);
            for (int i = 0; i < c.length; i++) {
                assertEquals(expected[i], c[i], 1e-4f * Math.max(1f, Math.abs(expected[i])));
            }
        }
    }

    @Test
    void betaZeroDoesNotReadC() {
        float[] a = {1, 2};
        float[] b = {3, 4};
        float[] c = {Float.NaN};
        Sgemm.multiply(three, false, false, 1, 1, 2, 1f, a, 0, 2, b, 0, 1, 0f, c, 0, 1);
        assertEquals(11f, c[0]);
    }

    @Test
    void alphaZeroOrEmptyKOnlyScalesC() {
        float[] c = {2, 4};
        Sgemm.multiply(one, false, false, 1, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 0.5f, c, 0, 2);
        assertEquals(1f, c[0]);
        assertEquals(2f, c[1]);
    }

    @Test
    void shapeErrorsNameTheShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sgemm.multiply(one,
                false, false, 4, 4, 4, 1f, new float[15], 0, 4, new float[16], 0, 4, 0f, new float[16], 0, 4));
        assertTrue(e.getMessage().contains("A of shape [4, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sgemm.multiply(one,
                false, true, 4, 4, 4, 1f, new float[16], 0, 4, new float[16], 0, 3, 0f, new float[16], 0, 4));
        assertTrue(e.getMessage().contains("B (stored transposed) of shape [4, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sgemm.reference(
                false, false, -1, 4, 4, 1f, new float[16], 0, 4, new float[16], 0, 4, 0f, new float[16], 0, 4));
    }
}
