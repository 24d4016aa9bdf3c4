package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RopeTest {

    @Test
    void tableHoldsTheAngles() {
        RopeTable t = new RopeTable(8, 16, 10000);
        assertEquals(1f, t.cos(0, 3));
        assertEquals(0f, t.sin(0, 3));
        assertEquals((float) Math.cos(5), t.cos(5, 0));
        assertEquals((float) Math.sin(5 * Math.pow(10000, -2.0 / 8)), t.sin(5, 1));
        assertThrows(IllegalArgumentException.class, () -> t.cos(16, 0));
        assertThrows(IllegalArgumentException.class, () -> new RopeTable(7, 16, 10000));
    }

    @Test
    void positionZeroIsIdentityAndRotationsKeepPairNorms() {
        Random rnd = new Random(41);
        int heads = 3;
        int headDim = 64;
        RopeTable t = new RopeTable(64, 40, 10000);
        float[] x = OpsTestData.gaussian(rnd, heads * headDim, 1);
        for (boolean adjacent : new boolean[] {true, false}) {
            float[] y = x.clone();
            apply(adjacent, true, y, heads, headDim, t, 0);
            assertArrayEquals(x, y);
            apply(adjacent, true, y, heads, headDim, t, 37);
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < 32; i++) {
                    int a = h * headDim + (adjacent ? 2 * i : i);
                    int b = adjacent ? a + 1 : a + 32;
                    double before = Math.hypot(x[a], x[b]);
                    assertEquals(before, Math.hypot(y[a], y[b]), 1e-5 * (1 + before));
                }
            }
        }
    }

    @Test
    void adjacentRotatesAPairByTheAngle() {
        RopeTable t = new RopeTable(2, 4, 10000);
        float[] x = {1, 0};
        Rope.applyAdjacentReference(x, 0, 1, 2, t, 3);
        assertArrayEquals(new float[] {(float) Math.cos(3), (float) Math.sin(3)}, x, 1e-7f);
    }

    @Test
    void halvesEqualsAdjacentOnPermutedDimensions() {
        Random rnd = new Random(42);
        int headDim = 16;
        RopeTable t = new RopeTable(16, 8, 500000);
        float[] x = OpsTestData.gaussian(rnd, headDim, 1);
        float[] pairs = new float[headDim];
        for (int i = 0; i < 8; i++) {
            pairs[2 * i] = x[i];
            pairs[2 * i + 1] = x[i + 8];
        }
        Rope.applyHalves(x, 0, 1, headDim, t, 5);
        Rope.applyAdjacent(pairs, 0, 1, headDim, t, 5);
        for (int i = 0; i < 8; i++) {
            assertEquals(x[i], pairs[2 * i], 1e-6f);
            assertEquals(x[i + 8], pairs[2 * i + 1], 1e-6f);
        }
    }

    @Test
    void simdMatchesTwinWithPartialRotaryAndOddSizes() {
        Random rnd = new Random(43);
        // rotary dims that are not a multiple of the vector width exercise the tails
        int[][] shapes = {{1, 2, 2}, {3, 30, 30}, {2, 34, 34}, {4, 64, 16}, {5, 80, 34}, {2, 128, 128}, {1, 96, 64},
            {3, 96, 96}, {2, 112, 100}, {1, 256, 200}};
        for (int[] s : shapes) {
            int heads = s[0];
            int headDim = s[1];
            RopeTable t = new RopeTable(s[2], 64, 10000);
            float[] x = OpsTestData.gaussian(rnd, heads * headDim + 3, 1);
            for (boolean adjacent : new boolean[] {true, false}) {
                float[] a = x.clone();
                float[] b = x.clone();
                apply(adjacent, true, a, 3, heads, headDim, t, 61);
                apply(adjacent, false, b, 3, heads, headDim, t, 61);
                OpsTestData.assertClose(b, 0, a, 0, a.length, 1e-6, 1e-6, (adjacent ? "adjacent " : "halves ")
                        + java.util.Arrays.toString(s));
                for (int h = 0; h < heads; h++) {
                    for (int d = s[2]; d < headDim; d++) {
                        assertEquals(x[3 + h * headDim + d], a[3 + h * headDim + d], "partial rotary leaves dim " + d);
                    }
                }
            }
        }
    }

    @Test
    void badArgumentsThrow() {
        RopeTable t = new RopeTable(64, 8, 10000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rope.applyHalves(new float[100], 0, 2, 64, t, 0));
        assertTrue(e.getMessage().contains("length 100"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Rope.applyAdjacent(new float[32], 0, 1, 32, t, 0));
        assertTrue(e.getMessage().contains("64") && e.getMessage().contains("32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rope.applyAdjacentReference(new float[64], 0, 1, 64, t, 8));
    }

    private static void apply(boolean adjacent, boolean simd, float[] x, int heads, int headDim, RopeTable t, int p) {
        apply(adjacent, simd, x, 0, heads, headDim, t, p);
    }

    private static void apply(boolean adjacent, boolean simd, float[] x, int offset, int heads, int headDim, RopeTable t,
            int p) {
        if (adjacent) {
            if (simd) {
                Rope.applyAdjacent(x, offset, heads, headDim, t, p);
            } else {
                Rope.applyAdjacentReference(x, offset, heads, headDim, t, p);
            }
        } else if (simd) {
            Rope.applyHalves(x, offset, heads, headDim, t, p);
        } else {
            Rope.applyHalvesReference(x, offset, heads, headDim, t, p);
        }
    }
}
