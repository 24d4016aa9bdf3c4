package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ElementwiseTest {

    @Test
    void simdMatchesScalarTwinExactly() {
        Random rnd = new Random(11);
        for (int n : OpsTestData.SIZES) {
            float[] a = OpsTestData.gaussian(rnd, n + 1, 1);
            float[] b = OpsTestData.gaussian(rnd, n + 2, 1);
            float[] s = new float[n + 3];
            float[] r = new float[n + 3];
            Elementwise.add(s, 3, a, 1, b, 2, n);
            Elementwise.addReference(r, 3, a, 1, b, 2, n);
            assertArrayEquals(r, s, "add " + n);
            Elementwise.mul(s, 3, a, 1, b, 2, n);
            Elementwise.mulReference(r, 3, a, 1, b, 2, n);
            assertArrayEquals(r, s, "mul " + n);
            Elementwise.scale(s, 3, a, 1, -1.7f, n);
            Elementwise.scaleReference(r, 3, a, 1, -1.7f, n);
            assertArrayEquals(r, s, "scale " + n);
            float[] ys = b.clone();
            float[] yr = b.clone();
            Elementwise.axpy(0.3f, a, 1, ys, 2, n);
            Elementwise.axpyReference(0.3f, a, 1, yr, 2, n);
            assertArrayEquals(yr, ys, "axpy " + n);
        }
    }

    @Test
    void knownValuesAndInPlace() {
        float[] a = {1, 2, 3};
        Elementwise.add(a, 0, a, 0, new float[] {10, 20, 30}, 0, 3);
        assertArrayEquals(new float[] {11, 22, 33}, a);
        Elementwise.mul(a, 0, a, 0, new float[] {2, 0, -1}, 0, 3);
        assertArrayEquals(new float[] {22, 0, -33}, a);
        float[] y = {1, 1, 1};
        Elementwise.axpy(2, new float[] {1, 2, 3}, 0, y, 0, 3);
        assertArrayEquals(new float[] {3, 5, 7}, y);
    }

    @Test
    void mismatchedLengthsThrowNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Elementwise.add(new float[8], 0, new float[8], 0, new float[5], 0, 8));
        assertTrue(e.getMessage().contains("second operand") && e.getMessage().contains("length 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Elementwise.axpy(1, new float[8], 2, new float[8], 0, 7));
        assertTrue(e.getMessage().contains("axpy x") && e.getMessage().contains("length 8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Elementwise.scale(new float[4], 0, new float[4], 0, 1, -1));
        assertThrows(IllegalArgumentException.class, () -> Elementwise.mulReference(new float[3], 0, new float[4], 0,
                new float[4], 0, 4));
    }
}
