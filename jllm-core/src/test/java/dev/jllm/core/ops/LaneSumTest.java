package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The lane sum equals the same pairwise tree computed in scalar code, bit for bit. */
class LaneSumTest {
    @Test
    void fixedTreeOrder() {
        SplittableRandom rng = new SplittableRandom(3);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] v = new float[lanes];
        for (int round = 0; round < 10_000; round++) {
            for (int i = 0; i < lanes; i++) {
                v[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(-8, 8)));
            }
            float[] s = v.clone();
            for (int width = lanes >> 1; width >= 1; width >>= 1) {
                for (int i = 0; i < width; i++) {
                    s[i] = s[i] + s[i + width];
                }
            }
            assertEquals(Float.floatToIntBits(s[0]),
                    Float.floatToIntBits(LaneSum.of(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, v, 0))));
        }
    }
}
