package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** RoPE frequency scaling on hand-worked cases. */
class RopeScalingTest {
    /**
     * Llama 3.1's parameters (factor 8, low 1, high 4, original context 8192): wavelengths below 2048
     * keep their frequency, those above 8192 are divided by 8, and in between the blend weight is
     * (8192 / wavelength − 1) / 3.
     */
    @Test
    void llama3BandsAndBlend() {
        RopeScaling s = new RopeScaling.Llama3(8, 1, 4, 8192);
        double shortWave = 2 * Math.PI / 1000;   // wavelength 1000 < 2048: kept
        double longWave = 2 * Math.PI / 10000;   // wavelength 10000 > 8192: divided by 8
        double middle = 2 * Math.PI / 4096;      // wavelength 4096: smooth = (2 − 1) / 3 = 1/3
        double[] out = s.scale(new double[] {shortWave, longWave, middle});
        assertEquals(shortWave, out[0], 1e-15);
        assertEquals(longWave / 8, out[1], 1e-15);
        assertEquals((2.0 / 3) * middle / 8 + (1.0 / 3) * middle, out[2], 1e-15);
    }

    @Test
    void linearAndDivisors() {
        assertEquals(0.25, new RopeScaling.Linear(4).scale(new double[] {1})[0]);
        double[] out = new RopeScaling.Divisors(new float[] {1, 2, 4}).scale(new double[] {1, 1, 1});
        assertEquals(0.25, out[2]);
        assertThrows(IllegalArgumentException.class, () -> new RopeScaling.Linear(0));
        assertThrows(IllegalArgumentException.class, () -> new RopeScaling.Llama3(8, 4, 1, 8192));
        assertThrows(IllegalArgumentException.class, () -> new RopeScaling.Divisors(new float[] {0}));
    }
}
