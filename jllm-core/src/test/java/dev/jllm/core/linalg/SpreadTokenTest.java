package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The vector quantizer of {@link SpreadToken} against GGML's scalar Q8_0 quantizer and plain loops. */
class SpreadTokenTest {

    @Test
    void equalsTheScalarQuantizerAndItsSpread() {
        Random random = new Random(7);
        int cols = 32 * 9;
        float[] x = new float[cols + 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * Math.exp(random.nextGaussian()));
        }
        // block 0: amax 127 makes the scale 1, so these are exact ties and near-ties of the rounding
        float[] ties = {127f, 2.5f, -3.5f, 0.5f, -0.5f, 126.5f, -126.5f, 0.49999997f, -0.49999997f, 1.5000001f, -0f, 0f};
        System.arraycopy(ties, 0, x, 5, ties.length);
        // block 1 all zeros (scale 0), block 2 a single non-zero value
        java.util.Arrays.fill(x, 5 + 32, 5 + 96, 0f);
        x[5 + 64 + 7] = -1e-3f;
        check(x, 5, cols);
        check(x, 5, 32);
    }

    private static void check(float[] x, int offset, int cols) {
        QuantizedActivations expected = new QuantizedActivations(DType.Q8_0, cols).quantize(x, offset, cols);
        SpreadToken t = new SpreadToken().quantize(x, offset, cols);
        for (int c = 0; c < cols; c++) {
            assertEquals(expected.qs[c], t.qs[c], "code of column " + c);
            for (int lane = 0; lane < 16; lane++) {
                assertEquals(expected.qs[c], t.spread[c * 16 + lane], "spread of column " + c);
            }
        }
        for (int b = 0; b < cols / 32; b++) {
            assertEquals(expected.scales[b], t.scales[b], "scale of block " + b);
            int sum = 0;
            int even = 0;
            int odd = 0;
            for (int c = 0; c < 32; c++) {
                sum += expected.qs[b * 32 + c];
                even += c % 2 == 0 ? expected.qs[b * 32 + c] : 0;
                odd += c % 2 == 1 ? expected.qs[b * 32 + c] : 0;
            }
            assertEquals(sum, t.blockSums[b], "sum of block " + b);
            short[] five = new short[32];
            java.util.Arrays.fill(five, 0, 16, (short) (16 * even));
            java.util.Arrays.fill(five, 16, 32, (short) (16 * odd));
            assertArrayEquals(five, java.util.Arrays.copyOfRange(t.fiveBitOffsets, b * 32, b * 32 + 32),
                    "five-bit offsets of block " + b);
        }
        for (int k = 0; k < cols / 16; k++) {
            int even = 0;
            int odd = 0;
            for (int c = 0; c < 16; c += 2) {
                even += expected.qs[k * 16 + c];
                odd += expected.qs[k * 16 + c + 1];
            }
            short[] six = new short[32];
            java.util.Arrays.fill(six, 0, 16, (short) (32 * even));
            java.util.Arrays.fill(six, 16, 32, (short) (32 * odd));
            assertArrayEquals(six, java.util.Arrays.copyOfRange(t.sixBitOffsets, k * 32, k * 32 + 32),
                    "six-bit offsets of 16 columns " + k);
        }
    }
}
