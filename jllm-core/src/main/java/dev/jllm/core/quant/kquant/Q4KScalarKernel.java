package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Scalar reference kernel of Q4_K: {half d; half dmin; u8 scales[12]; u8 qs[128]}. Element
 * {@code 64c + l} is the low nibble of {@code qs[32c + l]}, element {@code 64c + 32 + l} its high
 * nibble; sub-block {@code j} of 32 has value {@code d·scale_j·q − dmin·min_j}.
 */
final class Q4KScalarKernel extends ScalarKernel {

    Q4KScalarKernel() {
        super(DType.Q4_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long at, float[] dst, int dstOffset) {
        float d = half(src, at);
        float min = half(src, at + 2);
        long scales = at + 4;
        long qs = at + 16;
        int y = dstOffset;
        for (int c = 0; c < 4; c++) {
            float d1 = d * PackedScales.scaleK4(src, scales, 2 * c);
            float m1 = min * PackedScales.minK4(src, scales, 2 * c);
            float d2 = d * PackedScales.scaleK4(src, scales, 2 * c + 1);
            float m2 = min * PackedScales.minK4(src, scales, 2 * c + 1);
            for (int l = 0; l < 32; l++) {
                dst[y++] = d1 * (ubyte(src, qs + 32 * c + l) & 0xF) - m1;
            }
            for (int l = 0; l < 32; l++) {
                dst[y++] = d2 * (ubyte(src, qs + 32 * c + l) >>> 4) - m2;
            }
        }
    }

    @Override
    float dotQ8K(MemorySegment w, long offset, QuantizedActivations x, int block0, int blocks) {
        // GGML keeps eight lane sums of d·Σ and subtracts the min terms block by block
        float[] sums = new float[8];
        int[] aux32 = new int[8];
        float sumf = 0;
        for (int b = 0; b < blocks; b++) {
            long at = offset + (long) b * DType.Q4_K.blockBytes();
            int xb = block0 + b;
            int q8 = xb * QK_K;
            int sumMins = 0;
            for (int g = 0; g < 16; g++) {
                sumMins += x.groupSums[xb * 16 + g] * PackedScales.minK4(w, at + 4, g / 2);
            }
            java.util.Arrays.fill(aux32, 0);
            for (int j = 0; j < 8; j++) {
                int scale = PackedScales.scaleK4(w, at + 4, j);
                long qs = at + 16 + 32 * (j / 2);
                int shift = (j & 1) * 4;
                for (int k = 0; k < 32; k++) {
                    int q = (ubyte(w, qs + k) >>> shift) & 0xF;
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
