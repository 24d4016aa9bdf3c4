package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.Rounding;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizer of Q3_K following GGML's quantize_row_q3_K_ref (make_q3_quants per group of 16, 6-bit
 * signed scales against the largest) and quantize_row_q3_K_impl with importance (weighted
 * make_qx_quants for the groups and for the scales themselves).
 */
final class Q3KQuantizer implements Quantizer {

    @Override
    public DType type() {
        return DType.Q3_K;
    }

    @Override
    public void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset, float[] importance) {
        QuantizerArgs.check(DType.Q3_K, src, srcOffset, count, dst, dstOffset, importance);
        byte[] block = new byte[110];
        int[] levels = new int[256];
        float[] scales = new float[16];
        for (int b = 0; b < count / 256; b++) {
            int x0 = srcOffset + b * 256;
            java.util.Arrays.fill(block, (byte) 0);
            byte[] packed = new byte[12];
            if (importance == null) {
                chooseUnweighted(src, x0, levels, scales, packed, block);
            } else {
                chooseWeighted(src, x0, importance, b * 256, levels, scales, packed, block);
            }
            System.arraycopy(packed, 0, block, 96, 12);
            MemorySegment scaleField = MemorySegment.ofArray(packed);
            float d = ScaleMinQuantizer.getHalf(block, 108);
            for (int g = 0; g < 16; g++) {
                float dg = d * PackedScales.scaleQ3(scaleField, 0, g);
                if (dg == 0) {
                    continue;
                }
                for (int i = 0; i < 16; i++) {
                    int l = Rounding.nearestInt(src[x0 + 16 * g + i] / dg);
                    levels[16 * g + i] = Math.max(-4, Math.min(3, l)) + 4;
                }
            }
            // the third bit of element j goes to bit j/32 of hmask[j % 32]
            for (int j = 0; j < 256; j++) {
                if (levels[j] > 3) {
                    block[j % 32] |= (byte) (1 << (j / 32));
                    levels[j] -= 4;
                }
            }
            Q2KQuantizer.packTwoBits(levels, block, 32);
            MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, dstOffset + (long) b * 110, 110);
        }
    }

    private static void chooseUnweighted(float[] x, int x0, int[] levels, float[] scales, byte[] packed, byte[] block) {
        float maxScale = 0;
        float amax = 0;
        for (int g = 0; g < 16; g++) {
            scales[g] = ScaleSearch.q3Scale(16, 4, x, x0 + 16 * g, levels, 16 * g);
            float abs = Math.abs(scales[g]);
            if (abs > amax) {
                amax = abs;
                maxScale = scales[g];
            }
        }
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int g = 0; g < 16; g++) {
                // GGML rounds into an int8_t before clamping
                int l = (byte) Rounding.nearestInt(iscale * scales[g]);
                PackedScales.packQ3(packed, g, Math.max(-32, Math.min(31, l)) + 32);
            }
            ScaleMinQuantizer.putHalf(block, 108, 1 / iscale);
        }
    }

    private static void chooseWeighted(float[] x, int x0, float[] importance, int q0, int[] levels, float[] scales,
            byte[] packed, byte[] block) {
        float sumX2 = 0;
        for (int j = 0; j < 256; j++) {
            sumX2 += x[x0 + j] * x[x0 + j];
        }
        float sigma2 = 2 * sumX2 / 256;
        float[] weights = new float[16];
        float[] sw = new float[16];
        for (int g = 0; g < 16; g++) {
            for (int l = 0; l < 16; l++) {
                float v = x[x0 + 16 * g + l];
                weights[l] = importance[q0 + 16 * g + l] * (float) Math.sqrt(sigma2 + v * v);
            }
            float sumW = 0;
            for (int l = 0; l < 16; l++) {
                sumW += weights[l];
            }
            sw[g] = sumW;
            scales[g] = ScaleSearch.symmetricScale(16, 4, x, x0 + 16 * g, levels, 16 * g, weights, 0);
        }
        int[] ls = new int[16];
        float dBlock = ScaleSearch.symmetricScale(16, 32, scales, 0, ls, 0, sw, 0);
        for (int g = 0; g < 16; g++) {
            PackedScales.packQ3(packed, g, ls[g]);
        }
        ScaleMinQuantizer.putHalf(block, 108, dBlock);
    }
}
