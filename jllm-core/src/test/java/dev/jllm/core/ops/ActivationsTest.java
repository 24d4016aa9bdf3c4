package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class ActivationsTest {

    @Test
    void erfKnownValues() {
        assertEquals(0.5204998778130465, Erf.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, Erf.erf(1.0), 1e-15);
        assertEquals(0.9953222650189527, Erf.erf(2.0), 1e-15);
        assertEquals(0.9995930479825550, Erf.erf(2.5), 1e-15);
        assertEquals(0.9999779095030014, Erf.erf(3.0), 1e-15);
        assertEquals(-0.8427007929497149, Erf.erf(-1.0), 1e-15);
        assertEquals(1.1283791670579e-5, Erf.erf(1e-5), 1e-18);
        assertEquals(0.0, Erf.erf(0.0));
        assertEquals(1.0, Erf.erf(7.0));
        assertTrue(Double.isNaN(Erf.erf(Double.NaN)));
        assertEquals(0.5204998778f, Erf.erf(0.5f));
    }

    @Test
    void vectorErfIsWithinAFewUlps() {
        Random rnd = new Random(51);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes * 2000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (i % 3 == 0 ? rnd.nextGaussian() * 1e-3 : (rnd.nextDouble() * 10 - 5));
        }
        x[0] = 0;
        x[1] = -0f;
        x[2] = 4f;
        x[3] = Float.POSITIVE_INFINITY;
        x[4] = Float.NEGATIVE_INFINITY;
        x[5] = 3.99999f;
        x[6] = Float.MIN_VALUE;
        double worst = 0;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += lanes) {
            Erf.erf(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(y, i);
        }
        for (int i = 0; i < x.length; i++) {
            double e = Erf.erf((double) x[i]);
            double err = Math.abs(y[i] - e) / Math.ulp((float) e == 0 ? Float.MIN_NORMAL : (float) e);
            worst = Math.max(worst, err);
            assertTrue(err <= 4, "erf(" + x[i] + ") = " + y[i] + ", exact " + e);
        }
        float[] nan = new float[lanes];
        nan[0] = Float.NaN;
        Erf.erf(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, nan, 0)).intoArray(nan, 0);
        assertTrue(Float.isNaN(nan[0]));
        assertEquals(0f, nan[1]);
    }

    @Test
    void referencesKnownValues() {
        assertEquals(0.7310585786300049f, Activations.silu(1f));
        assertEquals(0.8413447460685429f, Activations.geluErf(1f));
        assertEquals(0.8411919906082768f, Activations.geluTanh(1f));
        assertEquals(-0.15865525393145707f, Activations.geluErf(-1f));
        assertEquals(0f, Activations.silu(0f));
    }

    @Test
    void simdMatchesTwins() {
        Random rnd = new Random(52);
        for (int n : OpsTestData.SIZES) {
            float[] x = OpsTestData.gaussian(rnd, n + 1, 3);
            x[1 % x.length] = 30;
            float[] up = OpsTestData.gaussian(rnd, n + 2, 1);
            float[] s = new float[n];
            float[] r = new float[n];
            Activations.silu(s, 0, x, 1, n);
            Activations.siluReference(r, 0, x, 1, n);
            OpsTestData.assertClose(r, 0, s, 0, n, 2e-6, 1e-30, "SiLU");
            Activations.swiglu(s, 0, x, 1, up, 2, n);
            Activations.swigluReference(r, 0, x, 1, up, 2, n);
            OpsTestData.assertClose(r, 0, s, 0, n, 2e-6, 1e-30, "SwiGLU");
            Activations.geluTanh(s, 0, x, 1, n);
            Activations.geluTanhReference(r, 0, x, 1, n);
            OpsTestData.assertClose(r, 0, s, 0, n, 5e-6, 1e-30, "GELU tanh");
            Activations.geluErf(s, 0, x, 1, n);
            Activations.geluErfReference(r, 0, x, 1, n);
            for (int i = 0; i < n; i++) {
                // 1 + erf cancels for negative x: the float result is good to a few ulps of 0.5·|x|
                assertEquals(r[i], s[i], 2e-6 * Math.abs(r[i]) + 2e-7 * Math.abs(x[1 + i]), "GELU erf at " + i);
            }
        }
    }

    @Test
    void mismatchedLengthsThrow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Activations.swiglu(new float[10], 0, new float[10], 0, new float[9], 0, 10));
        assertTrue(e.getMessage().contains("up") && e.getMessage().contains("length 9"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Activations.geluErf(new float[3], 0, new float[10], 0, 10));
    }
}
