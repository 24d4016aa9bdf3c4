package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Scalar reference kernel of Q5_K: {half d; half dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}.
 * As Q4_K, with a fifth bit: element {@code 64c + l} adds 16 if bit {@code 2c} of {@code qh[l]}
 * is set, element {@code 64c + 32 + l} if bit {@code 2c + 1} is.
 */
final class Q5KScalarKernel extends ScalarKernel {

    Q5KScalarKernel() {
        super(DType.Q5_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long at, float[] dst, int dstOffset) {
        float d = half(src, at);
        float min = half(src, at + 2);
        long scales = at + 4;
        long qh = at + 16;
        long qs = at + 48;
        int y = dstOffset;
        for (int c = 0; c < 4; c++) {
            float d1 = d * PackedScales.scaleK4(src, scales, 2 * c);
            float m1 = min * PackedScales.minK4(src, scales, 2 * c);
            float d2 = d * PackedScales.scaleK4(src, scales, 2 * c + 1);
            float m2 = min * PackedScales.minK4(src, scales, 2 * c + 1);
            for (int l = 0; l < 32; l++) {
                int q = (ubyte(src, qs + 32 * c + l) & 0xF) + (((ubyte(src, qh + l) >>> (2 * c)) & 1) << 4);
                dst[y++] = d1 * q - m1;
            }
            for (int l = 0; l < 32; l++) {
                int q = (ubyte(src, qs + 32 * c + l) >>> 4) + (((ubyte(src, qh + l) >>> (2 * c + 1)) & 1) << 4);
                dst[y++] = d2 * q - m2;
            }
        }
    }

    @Override
    float dotQ8K(MemorySegment w, long offset, QuantizedActivations x, int block0, int blocks) {
        float[] sums = new float[8];
        int[] aux32 = new int[8];
        float sumf = 0;
        for (int b = 0; b < blocks; b++) {
            long at = offset + (long) b * DType.Q5_K.blockBytes();
            int xb = block0 + b;
            int q8 = xb * QK_K;
            int sumMins = 0;
            for (int g = 0; g < 16; g++) {
                sumMins += x.groupSums[xb * 16 + g] * PackedScales.minK4(w, at + 4, g / 2);
            }
            java.util.Arrays.fill(aux32, 0);
            for (int j = 0; j < 8; j++) {
                int scale = PackedScales.scaleK4(w, at + 4, j);
                long qs = at + 48 + 32 * (j / 2);
                int shift = (j & 1) * 4;
                for (int k = 0; k < 32; k++) {
                    int q = ((ubyte(w, qs + k) >>> shift) & 0xF) + (((ubyte(w, at + 16 + k) >>> j) & 1) << 4);
                    aux32[k & 7] += scale * (x.qs[q8 + 32 * j + k] * q);
                }
            }
            float d = half(w, at) * x.scales[xb];
            for (int l = 0; l < 8; l++) {
                sums[l] += d * aux32[l];
            }
            float dmin = half(w, at + 2) * x.scales[xb];
            sumf -= dmin * sumMins;
        }
        for (int l = 0; l < 8; l++) {
            sumf += sums[l];
        }
        return sumf;
    }
}
