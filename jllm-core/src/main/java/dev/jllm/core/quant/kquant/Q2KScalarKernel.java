package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Scalar reference kernel of Q2_K: {u8 scales[16]; u8 qs[64]; half d; half dmin}. In half
 * {@code n}, element {@code 128n + 32j + l} is bits {@code 2j..2j+1} of {@code qs[32n + l]};
 * group {@code g} of 16 has value {@code d·(scales[g] & 15)·q − dmin·(scales[g] >> 4)}.
 */
final class Q2KScalarKernel extends ScalarKernel {

    Q2KScalarKernel() {
        super(DType.Q2_K);
    }

    /** The 2-bit value of element {@code i} of the block at {@code at}. */
    static int value(MemorySegment src, long at, int i) {
        int n = i >>> 7;
        int j = (i >>> 5) & 3;
        int l = i & 31;
        return (ubyte(src, at + 16 + 32 * n + l) >>> (2 * j)) & 3;
    }

    @Override
    void dequantizeBlock(MemorySegment src, long at, float[] dst, int dstOffset) {
        float d = half(src, at + 80);
        float min = half(src, at + 82);
        for (int g = 0; g < 16; g++) {
            int sc = ubyte(src, at + g);
            float dl = d * (sc & 0xF);
            float ml = min * (sc >>> 4);
            for (int k = 0; k < 16; k++) {
                dst[dstOffset + 16 * g + k] = dl * value(src, at, 16 * g + k) - ml;
            }
        }
    }

    @Override
    float dotQ8K(MemorySegment w, long offset, QuantizedActivations x, int block0, int blocks) {
        float sumf = 0;
        for (int b = 0; b < blocks; b++) {
            long at = offset + (long) b * DType.Q2_K.blockBytes();
            int xb = block0 + b;
            int q8 = xb * QK_K;
            int sumMins = 0;
            for (int g = 0; g < 16; g++) {
                sumMins += x.groupSums[xb * 16 + g] * (ubyte(w, at + g) >>> 4);
            }
            float dall = x.scales[xb] * half(w, at + 80);
            float dmin = x.scales[xb] * half(w, at + 82);
            int isum = 0;
            for (int g = 0; g < 16; g++) {
                int groupSum = 0;
                for (int k = 0; k < 16; k++) {
                    groupSum += x.qs[q8 + 16 * g + k] * value(w, at, 16 * g + k);
                }
                isum += (ubyte(w, at + g) & 0xF) * groupSum;
            }
            sumf += dall * isum - dmin * sumMins;
        }
        return sumf;
    }
}
