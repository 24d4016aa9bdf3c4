package dev.jllm.core.linalg;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;

/**
 * One token quantized as Q8_0 for the interleaved integer kernels, each code repeated over the 16 lanes its column
 * occupies in a widened column pair, with each block's sum of codes (for types whose codes carry an offset).
 */
final class SpreadToken {
    private static final int ROWS = InterleavedQ8_0.ROWS;
    QuantizedActivations activations = new QuantizedActivations(DType.Q8_0, 32);
    short[] spread = new short[0];
    int[] blockSums = new int[0];

    /** Quantizes {@code x[xOffset .. xOffset + cols)} into these buffers, replacing what they held. */
    SpreadToken quantize(float[] x, int xOffset, int cols) {
        if (activations.capacity() < cols || spread.length < cols * ROWS) {
            activations = new QuantizedActivations(DType.Q8_0, cols);
            spread = new short[cols * ROWS];
            blockSums = new int[cols / 32];
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
        return this;
    }
}
