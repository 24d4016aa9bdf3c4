package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LaneFoldTest {
    /** The documented tree, in scalar code: halves, quarters, eighths, then the last pair. */
    private static float treeSum(float[] v, int at) {
        float[] p1 = new float[8];
        for (int k = 0; k < 8; k++) {
            p1[k] = v[at + k] + v[at + k + 8];
        }
        float[] p2 = new float[4];
        for (int k = 0; k < 4; k++) {
            p2[k] = p1[k] + p1[k + 4];
        }
        float p30 = p2[0] + p2[2];
        float p31 = p2[1] + p2[3];
        return p30 + p31;
    }

    @Test
    void sumsEqualTheScalarTreeBitForBit() {
        assumeTrue(LaneFold.LANES == 16, "the tree is written for 16-lane vectors");
        SplittableRandom random = new SplittableRandom(7);
        float[] src = new float[3 + 256];
        float[] dst = new float[5 + 16];
        // enough rounds for C2 to compile sums16: the compiled tree must give what the interpreted one gives
        for (int round = 0; round < 20_000; round++) {
            for (int i = 0; i < src.length; i++) {
                src[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-3, 4)));
            }
            LaneFold.sums16(src, 3, dst, 5);
            if (round % 997 == 0 || round == 19_999) {
                for (int v = 0; v < 16; v++) {
                    float expected = treeSum(src, 3 + 16 * v);
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(dst[5 + v]),
                            "round " + round + ", vector " + v + ": " + expected + " vs " + dst[5 + v]);
                }
            }
        }
    }

    @Test
    void sumsOfKnownValues() {
        assumeTrue(LaneFold.LANES == 16, "the tree is written for 16-lane vectors");
        float[] src = new float[256];
        for (int v = 0; v < 16; v++) {
            for (int l = 0; l < 16; l++) {
                src[16 * v + l] = v * 100 + l; // vector v sums to 1600 v + 120
            }
        }
        float[] dst = new float[16];
        LaneFold.sums16(src, 0, dst, 0);
        for (int v = 0; v < 16; v++) {
            assertEquals(1600f * v + 120f, dst[v], "vector " + v);
        }
    }
}
