package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.Rounding;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizer of Q6_K following GGML's quantize_row_q6_K_ref (and _impl with importance): a
 * symmetric scale per group of 16 found by make_qx_quants, the sixteen scales stored as int8
 * against the super-block scale, then every value rounded again against its stored scale.
 */
final class Q6KQuantizer implements Quantizer {

    @Override
    public DType type() {
        return DType.Q6_K;
    }

    @Override
    public void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset, float[] importance) {
        QuantizerArgs.check(DType.Q6_K, src, srcOffset, count, dst, dstOffset, importance);
        byte[] block = new byte[210];
        int[] levels = new int[256];
        float[] scales = new float[16];
        for (int b = 0; b < count / 256; b++) {
            int x0 = srcOffset + b * 256;
            java.util.Arrays.fill(block, (byte) 0);
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int g = 0; g < 16; g++) {
                // with importance GGML weights the error by the raw importance, not x²
                scales[g] = ScaleSearch.symmetricScale(16, 32, src, x0 + 16 * g, levels, 16 * g,
                        importance, b * 256 + 16 * g);
                float abs = Math.abs(scales[g]);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scales[g];
                }
            }
            if (maxAbsScale >= ScaleSearch.GROUP_MAX_EPS) {
                float iscale = -128f / maxScale;
                ScaleMinQuantizer.putHalf(block, 208, 1 / iscale);
                for (int g = 0; g < 16; g++) {
                    block[192 + g] = (byte) Math.min(127, Rounding.nearestInt(iscale * scales[g]));
                }
                float d = ScaleMinQuantizer.getHalf(block, 208);
                for (int g = 0; g < 16; g++) {
                    float dg = d * block[192 + g];
                    if (dg == 0) {
                        continue;
                    }
                    for (int i = 0; i < 16; i++) {
                        int l = Rounding.nearestInt(src[x0 + 16 * g + i] / dg);
                        levels[16 * g + i] = Math.max(-32, Math.min(31, l)) + 32;
                    }
                }
                pack(levels, block);
            }
            MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, dstOffset + (long) b * 210, 210);
        }
    }

    private static void pack(int[] levels, byte[] block) {
        for (int n = 0; n < 2; n++) {
            for (int l = 0; l < 32; l++) {
                int y = 128 * n + l;
                int q1 = levels[y];
                int q2 = levels[y + 32];
                int q3 = levels[y + 64];
                int q4 = levels[y + 96];
                block[64 * n + l] = (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4));
                block[64 * n + 32 + l] = (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4));
                block[128 + 32 * n + l] = (byte) ((q1 >>> 4) | ((q2 >>> 4) << 2) | ((q3 >>> 4) << 4) | ((q4 >>> 4) << 6));
            }
        }
    }
}
