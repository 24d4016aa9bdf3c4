package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.Rounding;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizer of Q2_K following GGML's quantize_row_q2_K_ref (scale and min per group of 16 by
 * make_qkx2_quants on absolute error, then 4-bit scales and mins against the super-block
 * maxima) and quantize_row_q2_K_impl with importance (make_qkx3_quants, make_qp_quants).
 */
final class Q2KQuantizer implements Quantizer {

    @Override
    public DType type() {
        return DType.Q2_K;
    }

    @Override
    public void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset, float[] importance) {
        QuantizerArgs.check(DType.Q2_K, src, srcOffset, count, dst, dstOffset, importance);
        byte[] block = new byte[84];
        int[] levels = new int[256];
        float[] weights = new float[16];
        float[] scales = new float[16];
        float[] mins = new float[16];
        for (int b = 0; b < count / 256; b++) {
            int x0 = srcOffset + b * 256;
            java.util.Arrays.fill(block, (byte) 0);
            if (importance == null) {
                chooseUnweighted(src, x0, levels, weights, scales, mins, block);
            } else {
                chooseWeighted(src, x0, importance, b * 256, levels, weights, scales, mins, block);
            }
            float d = ScaleMinQuantizer.getHalf(block, 80);
            float dmin = ScaleMinQuantizer.getHalf(block, 82);
            for (int g = 0; g < 16; g++) {
                float dg = d * (block[g] & 0xF);
                if (dg == 0) {
                    continue;
                }
                float mg = dmin * ((block[g] & 0xFF) >>> 4);
                for (int i = 0; i < 16; i++) {
                    int l = Rounding.nearestInt((src[x0 + 16 * g + i] + mg) / dg);
                    levels[16 * g + i] = Math.max(0, Math.min(3, l));
                }
            }
            packTwoBits(levels, block, 16);
            MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, dstOffset + (long) b * 84, 84);
        }
    }

    private static void chooseUnweighted(float[] x, int x0, int[] levels, float[] weights, float[] scales,
            float[] mins, byte[] block) {
        float maxScale = 0;
        float maxMin = 0;
        for (int g = 0; g < 16; g++) {
            for (int l = 0; l < 16; l++) {
                weights[l] = Math.abs(x[x0 + 16 * g + l]);
            }
            scales[g] = ScaleSearch.scaleAndMin(16, 3, x, x0 + 16 * g, weights, levels, 16 * g, mins, g,
                    -0.5f, 0.1f, 15, true, false);
            maxScale = Math.max(maxScale, scales[g]);
            maxMin = Math.max(maxMin, mins[g]);
        }
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int g = 0; g < 16; g++) {
                block[g] = (byte) Rounding.nearestInt(iscale * scales[g]);
            }
            ScaleMinQuantizer.putHalf(block, 80, maxScale / 15f);
        }
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int g = 0; g < 16; g++) {
                block[g] |= (byte) (Rounding.nearestInt(iscale * mins[g]) << 4);
            }
            ScaleMinQuantizer.putHalf(block, 82, maxMin / 15f);
        }
    }

    private static void chooseWeighted(float[] x, int x0, float[] importance, int q0, int[] levels, float[] weights,
            float[] scales, float[] mins, byte[] block) {
        float sumX2 = 0;
        for (int j = 0; j < 256; j++) {
            sumX2 += x[x0 + j] * x[x0 + j];
        }
        float sigma2 = sumX2 / 256;
        float[] sw = new float[16];
        for (int g = 0; g < 16; g++) {
            for (int l = 0; l < 16; l++) {
                float v = x[x0 + 16 * g + l];
                weights[l] = importance[q0 + 16 * g + l] * (float) Math.sqrt(sigma2 + v * v);
            }
            for (int l = 0; l < 16; l++) {
                sw[g] += weights[l];
            }
            scales[g] = ScaleSearch.scaleAndMin(16, 3, x, x0 + 16 * g, weights, levels, 16 * g, mins, g,
                    -0.9f, 0.05f, 36, false, true);
        }
        int[] ls = new int[16];
        int[] lm = new int[16];
        float dm = ScaleSearch.positiveScale(16, 15, scales, ls, sw);
        float mm = ScaleSearch.positiveScale(16, 15, mins, lm, sw);
        ScaleMinQuantizer.putHalf(block, 80, dm);
        ScaleMinQuantizer.putHalf(block, 82, mm);
        for (int g = 0; g < 16; g++) {
            block[g] = (byte) (ls[g] | (lm[g] << 4));
        }
    }

    /** Packs 2-bit levels as Q2_K/Q3_K do: byte {@code 32n + l} holds elements 128n + l + 32j at bits 2j. */
    static void packTwoBits(int[] levels, byte[] block, int at) {
        for (int n = 0; n < 2; n++) {
            for (int l = 0; l < 32; l++) {
                int y = 128 * n + l;
                block[at + 32 * n + l] = (byte) (levels[y] | (levels[y + 32] << 2) | (levels[y + 64] << 4)
                        | (levels[y + 96] << 6));
            }
        }
    }
}
