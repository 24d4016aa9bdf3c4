package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Scalar reference kernel of Q3_K: {u8 hmask[32]; u8 qs[64]; u8 scales[12]; half d}. In half
 * {@code n}, element {@code 128n + 32j + l} is bits {@code 2j..2j+1} of {@code qs[32n + l]},
 * minus 4 unless bit {@code 4n + j} of {@code hmask[l]} is set, times {@code d·(scale − 32)} of
 * its group of 16.
 */
final class Q3KScalarKernel extends ScalarKernel {

    Q3KScalarKernel() {
        super(DType.Q3_K);
    }

    /** The signed 3-bit value of element {@code i} of the block at {@code at}. */
    static int value(MemorySegment src, long at, int i) {
        int n = i >>> 7;
        int j = (i >>> 5) & 3;
        int l = i & 31;
        int q = (ubyte(src, at + 32 + 32 * n + l) >>> (2 * j)) & 3;
        boolean high = ((ubyte(src, at + l) >>> (4 * n + j)) & 1) != 0;
        return high ? q : q - 4;
    }

    @Override
    void dequantizeBlock(MemorySegment src, long at, float[] dst, int dstOffset) {
        float d = half(src, at + 108);
        for (int g = 0; g < 16; g++) {
            float dl = d * PackedScales.scaleQ3(src, at + 96, g);
            for (int k = 0; k < 16; k++) {
                dst[dstOffset + 16 * g + k] = dl * value(src, at, 16 * g + k);
            }
        }
    }

    @Override
    float dotQ8K(MemorySegment w, long offset, QuantizedActivations x, int block0, int blocks) {
        float[] sums = new float[8];
        int[] aux32 = new int[8];
        for (int b = 0; b < blocks; b++) {
            long at = offset + (long) b * DType.Q3_K.blockBytes();
            int xb = block0 + b;
            int q8 = xb * QK_K;
            java.util.Arrays.fill(aux32, 0);
            for (int g = 0; g < 16; g++) {
                int scale = PackedScales.scaleQ3(w, at + 96, g);
                for (int k = 0; k < 16; k++) {
                    int i = 16 * g + k;
                    aux32[k & 7] += scale * (x.qs[q8 + i] * value(w, at, i));
                }
            }
            float d = half(w, at + 108) * x.scales[xb];
            for (int l = 0; l < 8; l++) {
                sums[l] += d * aux32[l];
            }
        }
        float sumf = 0;
        for (int l = 0; l < 8; l++) {
            sumf += sums[l];
        }
        return sumf;
    }
}
