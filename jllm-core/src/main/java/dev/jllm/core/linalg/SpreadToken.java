package dev.jllm.core.linalg;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;

/**
 * One token quantized as Q8_0 for the interleaved integer kernels, each code repeated over the 16 lanes its column
 * occupies in a widened column pair, with each block's sum of codes (for types whose codes carry an offset), and for
 * each 16 columns 32 times the sums of the even and of the odd columns' codes, spread over the 16 lanes each takes
 * ({@link Q6KTokenKernel}: the offset of 6-bit codes, taken off in 16-bit lanes), and the same per 32 columns
 * with 16 ({@link Q5TokenKernel}).
 */
final class SpreadToken {
    private static final int ROWS = InterleavedQ8_0.ROWS;
    QuantizedActivations activations = new QuantizedActivations(DType.Q8_0, 32);
    short[] spread = new short[0];
    int[] blockSums = new int[0];
    short[] sixBitOffsets = new short[0];
    short[] fiveBitOffsets = new short[0];

    /** Quantizes {@code x[xOffset .. xOffset + cols)} into these buffers, replacing what they held. */
    SpreadToken quantize(float[] x, int xOffset, int cols) {
        if (activations.capacity() < cols || spread.length < cols * ROWS) {
            activations = new QuantizedActivations(DType.Q8_0, cols);
            spread = new short[cols * ROWS];
            blockSums = new int[cols / 32];
            sixBitOffsets = new short[cols / 16 * 2 * ROWS];
            fiveBitOffsets = new short[cols / 32 * 2 * ROWS];
        }
        activations.quantize(x, xOffset, cols);
        byte[] qs = activations.qs;
        for (int c = 0; c < cols; c++) {
            java.util.Arrays.fill(spread, c * ROWS, (c + 1) * ROWS, qs[c]);
        }
        for (int b = 0; b < cols / 32; b++) {
            int sum = 0;
            for (int c = 0; c < 32; c++) {
                sum += qs[b * 32 + c];
            }
            blockSums[b] = sum;
        }
        for (int k = 0; k < cols / 16; k++) {
            int even = 0;
            int odd = 0;
            for (int c = 0; c < 16; c += 2) {
                even += qs[k * 16 + c];
                odd += qs[k * 16 + c + 1];
            }
            java.util.Arrays.fill(sixBitOffsets, k * 2 * ROWS, k * 2 * ROWS + ROWS, (short) (32 * even));
            java.util.Arrays.fill(sixBitOffsets, k * 2 * ROWS + ROWS, (k + 1) * 2 * ROWS, (short) (32 * odd));
        }
        for (int b = 0; b < cols / 32; b++) {
            int even = 0;
            int odd = 0;
            for (int c = 0; c < 32; c += 2) {
                even += qs[b * 32 + c];
                odd += qs[b * 32 + c + 1];
            }
            java.util.Arrays.fill(fiveBitOffsets, b * 2 * ROWS, b * 2 * ROWS + ROWS, (short) (16 * even));
            java.util.Arrays.fill(fiveBitOffsets, b * 2 * ROWS + ROWS, (b + 1) * 2 * ROWS, (short) (16 * odd));
        }
        return this;
    }
}
