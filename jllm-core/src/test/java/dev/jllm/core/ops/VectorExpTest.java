package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The deterministic exponential against double-precision Math.exp, and its vector lanes against its scalar twin. */
class VectorExpTest {
    @Test
    void accurateAndLaneForLaneEqualToTheScalarTwin() {
        SplittableRandom rng = new SplittableRandom(5);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes];
        float[] y = new float[lanes];
        double worst = 0;
        for (int round = 0; round < 20_000; round++) {
            for (int i = 0; i < lanes; i++) {
                x[i] = (float) (rng.nextDouble() * 176 - 88);
            }
            VectorExp.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
            for (int i = 0; i < lanes; i++) {
                assertEquals(Float.floatToIntBits(VectorExp.exp(x[i])), Float.floatToIntBits(y[i]), "lane at " + x[i]);
                double want = Math.exp(x[i]);
                if (want > Float.MIN_NORMAL && want < Float.MAX_VALUE) {
                    worst = Math.max(worst, Math.abs(y[i] - want) / want);
                }
            }
        }
        assertTrue(worst < 3e-7, "max relative error " + worst);
    }

    @Test
    void edges() {
        assertEquals(0f, VectorExp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, VectorExp.exp(-100f));
        assertEquals(Float.POSITIVE_INFINITY, VectorExp.exp(100f));
        assertEquals(1f, VectorExp.exp(0f));
        assertTrue(Float.isNaN(VectorExp.exp(Float.NaN)));
        float[] in = new float[FloatVector.SPECIES_PREFERRED.length()];
        java.util.Arrays.fill(in, Float.NEGATIVE_INFINITY);
        float[] out = new float[in.length];
        VectorExp.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, in, 0)).intoArray(out, 0);
        assertEquals(0f, out[0]);
    }
}
