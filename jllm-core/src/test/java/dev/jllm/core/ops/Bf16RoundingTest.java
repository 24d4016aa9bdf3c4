package dev.jllm.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jllm.core.quant.floats.FloatQuantizer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Bf16RoundingTest {

    /**
     * Round to nearest by comparing distances in double to the two BF16 neighbours (the truncation
     * and the next value away from zero), ties to the even one; beyond the largest finite BF16
     * the next value is 2¹²⁸, which stands for infinity as IEEE overflow rounding prescribes.
     */
    private static short oracle(float x) {
        if (Float.isNaN(x)) {
            return Bf16Rounding.NAN;
        }
        if (Float.isInfinite(x)) {
            return (short) (Float.floatToRawIntBits(x) >>> 16);
        }
        int bits = Float.floatToRawIntBits(x);
        int lowBits = bits >>> 16;
        int highBits = lowBits + 1;
        double low = Math.abs((double) Float.intBitsToFloat(lowBits << 16));
        double high = (highBits & 0x7FFF) == 0x7F80 ? Math.scalb(1.0, 128)
                : Math.abs((double) Float.intBitsToFloat(highBits << 16));
        double a = Math.abs((double) x);
        double dl = a - low;
        double dh = high - a;
        if (dl < dh || (dl == dh && (lowBits & 1) == 0)) {
            return (short) lowBits;
        }
        return (short) highBits;
    }

    private static float[] interestingFloats(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        float[] specials = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.intBitsToFloat(0x7F7F8000), Float.intBitsToFloat(0x7F7F7FFF), Float.intBitsToFloat(0x3F808000),
            Float.intBitsToFloat(0x3F818000), Float.intBitsToFloat(0xFFC00001), Float.intBitsToFloat(0x7F800001),
            Float.intBitsToFloat(0x0000FFFF), Float.intBitsToFloat(0x00008000), Float.intBitsToFloat(0x00018000)};
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(4);
            if (i < specials.length) {
                a[i] = specials[i];
            } else if (kind == 0) {
                a[i] = Float.intBitsToFloat(rnd.nextInt()); // every exponent, NaN payloads included
            } else if (kind == 1) {
                // an exact tie: the low 16 bits are 0x8000
                a[i] = Float.intBitsToFloat((rnd.nextInt() & 0xFFFF0000) | 0x8000);
            } else {
                a[i] = (float) rnd.nextGaussian();
            }
        }
        return a;
    }

    @Test
    void scalarRoundingMatchesTheNearestNeighbourOracle() {
        for (float x : interestingFloats(200_000, 1)) {
            short expected = oracle(x);
            short actual = Bf16Rounding.round(x);
            if (expected != actual) {
                throw new AssertionError(Integer.toHexString(Float.floatToRawIntBits(x)) + ": expected "
                        + Integer.toHexString(expected & 0xFFFF) + " got " + Integer.toHexString(actual & 0xFFFF));
            }
        }
        assertEquals((short) 0x3F80, Bf16Rounding.round(Float.intBitsToFloat(0x3F808000)), "tie to even, down");
        assertEquals((short) 0x3F82, Bf16Rounding.round(Float.intBitsToFloat(0x3F818000)), "tie to even, up");
        assertEquals((short) 0x7F80, Bf16Rounding.round(Float.MAX_VALUE), "overflows to infinity");
        assertEquals(Bf16Rounding.NAN, Bf16Rounding.round(Float.intBitsToFloat(0xFFC00001)));
    }

    @Test
    void agreesWithTheCoreQuantizerOnNumbers() {
        // an independent implementation (GGML's); it keeps a NaN's sign, so NaNs are left out
        for (float x : interestingFloats(50_000, 2)) {
            if (!Float.isNaN(x)) {
                assertEquals(FloatQuantizer.toBf16(x), Bf16Rounding.round(x), Float.toString(x));
            }
        }
    }

    @Test
    void vectorPathsEqualScalarReferences() {
        for (int n : new int[] {1, 7, 16, 31, 100, 1027}) {
            float[] src = interestingFloats(n + 3, n);
            short[] expected = new short[n + 2];
            short[] actual = new short[n + 2];
            Bf16Rounding.roundReference(src, 3, expected, 2, n);
            Bf16Rounding.round(src, 3, actual, 2, n);
            assertArrayEquals(expected, actual, "n=" + n);
            float[] fe = new float[n];
            float[] fa = new float[n];
            Bf16Rounding.roundToFloatReference(src, 3, fe, 0, n);
            Bf16Rounding.roundToFloat(src, 3, fa, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(fe[i]), Float.floatToRawIntBits(fa[i]), "n=" + n + " i=" + i);
                assertEquals(Float.floatToRawIntBits(Bf16Rounding.widen(expected[2 + i])),
                        Float.floatToRawIntBits(fe[i]));
            }
        }
        assertThrows(IndexOutOfBoundsException.class,
                () -> Bf16Rounding.round(new float[4], 1, new short[4], 0, 4));
    }
}
