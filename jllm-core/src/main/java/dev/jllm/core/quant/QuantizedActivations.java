package dev.jllm.core.quant;

import dev.jllm.core.tensor.DType;

/**
 * A vector of activations quantized to 8 bits so that integer dot products can replace float
 * ones, as llama.cpp does: {@link DType#Q8_0} (blocks of 32 with a scale), {@link DType#Q8_1}
 * (Q8_0 plus the block's scaled sum, for types with a minimum) and {@link DType#Q8_K} (blocks of
 * 256 with a scale and sums of each 16 values, for K-quants). Scales are rounded exactly as the
 * GGML block would store them, so dot products agree with llama.cpp's bit for bit in the integer
 * part.
 */
public final class QuantizedActivations {
    private final DType format;
    private final int capacity;
    private int length;
    /** The int8 values, one per activation. */
    public final byte[] qs;
    /** One scale per block. */
    public final float[] scales;
    /** Q8_1: scale × Σ qs per block. Empty for other formats. */
    public final float[] blockSums;
    /** Q8_K: Σ qs over each group of 16 values. Empty for other formats. */
    public final int[] groupSums;

    /**
     * Buffers for up to {@code capacity} activations in {@code format}.
     *
     * @throws IllegalArgumentException if the format is not an activation type or the capacity
     *     is not a multiple of its block size
     */
    public QuantizedActivations(DType format, int capacity) {
        if (format != DType.Q8_0 && format != DType.Q8_1 && format != DType.Q8_K) {
            throw new IllegalArgumentException("activation format must be Q8_0, Q8_1 or Q8_K, got " + format);
        }
        if (capacity % format.blockSize() != 0) {
            throw new IllegalArgumentException("activation count " + capacity + " is not a multiple of "
                    + format + "'s block size " + format.blockSize());
        }
        this.format = format;
        this.capacity = capacity;
        this.qs = new byte[capacity];
        this.scales = new float[capacity / format.blockSize()];
        this.blockSums = new float[format == DType.Q8_1 ? scales.length : 0];
        this.groupSums = new int[format == DType.Q8_K ? capacity / 16 : 0];
    }

    /** The format. */
    public DType format() {
        return format;
    }

    /** Number of activations quantized by the last {@link #quantize} call. */
    public int length() {
        return length;
    }

    /** Maximum number of activations these buffers hold. */
    public int capacity() {
        return capacity;
    }

    /**
     * Quantizes {@code x[offset .. offset + count)} into these buffers, replacing what they held.
     * This follows GGML's reference quantizers of the format.
     */
    public QuantizedActivations quantize(float[] x, int offset, int count) {
        if (count > capacity || count % format.blockSize() != 0) {
            throw new IllegalArgumentException("cannot quantize " + count + " activations into " + format
                    + " buffers of capacity " + capacity);
        }
        length = count;
        int bs = format.blockSize();
        for (int b = 0; b < count / bs; b++) {
            int base = offset + b * bs;
            switch (format) {
                case Q8_0, Q8_1 -> quantizeQ8Block(x, base, b);
                case Q8_K -> quantizeQ8KBlock(x, base, b);
                default -> throw new AssertionError(format);
            }
        }
        return this;
    }

    private void quantizeQ8Block(float[] x, int base, int b) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[base + j]));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        int sum = 0;
        int q0 = b * 32;
        for (int j = 0; j < 32; j++) {
            int q = Rounding.roundHalfAway(x[base + j] * id);
            qs[q0 + j] = (byte) q;
            sum += q;
        }
        scales[b] = Rounding.toHalfAndBack(d);
        if (format == DType.Q8_1) {
            blockSums[b] = Rounding.toHalfAndBack(sum * d);
        }
    }

    private void quantizeQ8KBlock(float[] x, int base, int b) {
        float max = 0;
        float amax = 0;
        for (int j = 0; j < 256; j++) {
            float ax = Math.abs(x[base + j]);
            if (ax > amax) {
                amax = ax;
                max = x[base + j];
            }
        }
        int q0 = b * 256;
        if (amax == 0) {
            scales[b] = 0;
            java.util.Arrays.fill(qs, q0, q0 + 256, (byte) 0);
            java.util.Arrays.fill(groupSums, b * 16, b * 16 + 16, 0);
            return;
        }
        float iscale = -127f / max;
        for (int j = 0; j < 256; j++) {
            int v = Rounding.nearestInt(iscale * x[base + j]);
            qs[q0 + j] = (byte) Math.min(127, v);
        }
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int j = 0; j < 16; j++) {
                s += qs[q0 + g * 16 + j];
            }
            groupSums[b * 16 + g] = s;
        }
        scales[b] = 1 / iscale;
    }
}
