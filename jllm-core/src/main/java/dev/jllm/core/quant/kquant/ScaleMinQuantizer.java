package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.Rounding;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizer of the K-quants with eight sub-blocks of 32 carrying a 6-bit scale and 6-bit min:
 * Q4_K (4-bit levels) and Q5_K (5-bit levels), following GGML's quantize_row_q4_K_ref /
 * q5_K_ref without importance and quantize_row_q4_K_impl / q5_K_impl with it.
 */
final class ScaleMinQuantizer implements Quantizer {
    private final DType type;
    private final int nmax;
    private final float rmin;
    private final int nstep;

    /** @param type Q4_K or Q5_K */
    ScaleMinQuantizer(DType type) {
        if (type != DType.Q4_K && type != DType.Q5_K) {
            throw new IllegalArgumentException("not a scale-and-min K-quant: " + type);
        }
        this.type = type;
        this.nmax = type == DType.Q4_K ? 15 : 31;
        // the unweighted reference searches differ per type; the weighted ones share -0.9/0.05/36
        this.rmin = type == DType.Q4_K ? -1f : -0.5f;
        this.nstep = type == DType.Q4_K ? 20 : 15;
    }

    @Override
    public DType type() {
        return type;
    }

    @Override
    public void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset, float[] importance) {
        QuantizerArgs.check(type, src, srcOffset, count, dst, dstOffset, importance);
        byte[] block = new byte[type.blockBytes()];
        int[] levels = new int[256];
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        for (int b = 0; b < count / 256; b++) {
            int x0 = srcOffset + b * 256;
            java.util.Arrays.fill(block, (byte) 0);
            byte[] packed = new byte[12];
            if (importance == null) {
                chooseUnweighted(src, x0, levels, weights, scales, mins, packed, block);
            } else {
                chooseWeighted(src, x0, importance, b * 256, levels, weights, scales, mins, packed, block);
            }
            System.arraycopy(packed, 0, block, 4, 12);
            requantize(src, x0, packed, block, levels);
            pack(levels, block);
            MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, dstOffset + (long) b * block.length, block.length);
        }
    }

    private void chooseUnweighted(float[] x, int x0, int[] levels, float[] weights, float[] scales, float[] mins,
            byte[] packed, byte[] block) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int xj = x0 + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[xj + l] * x[xj + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[xj + l]);
            }
            scales[j] = ScaleSearch.scaleAndMin(32, nmax, x, xj, weights, levels, 32 * j, mins, j,
                    rmin, 0.1f, nstep, false, false);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++) {
            // GGML stores the rounded value in a uint8_t before clamping to 63
            int ls = Math.min(63, Rounding.nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, Rounding.nearestInt(invMin * mins[j]) & 0xFF);
            PackedScales.packK4(packed, j, ls, lm);
        }
        putHalf(block, 0, maxScale / 63f);
        putHalf(block, 2, maxMin / 63f);
    }

    private void chooseWeighted(float[] x, int x0, float[] importance, int q0, int[] levels, float[] weights,
            float[] scales, float[] mins, byte[] packed, byte[] block) {
        float sumX2 = 0;
        for (int l = 0; l < 256; l++) {
            sumX2 += x[x0 + l] * x[x0 + l];
        }
        float sigma2 = 2 * sumX2 / 256;
        float[] sw = new float[8];
        for (int j = 0; j < 8; j++) {
            int xj = x0 + 32 * j;
            for (int l = 0; l < 32; l++) {
                weights[l] = importance[q0 + 32 * j + l] * (float) Math.sqrt(sigma2 + x[xj + l] * x[xj + l]);
            }
            float sumW = 0;
            for (int l = 0; l < 32; l++) {
                sumW += weights[l];
            }
            sw[j] = sumW;
            scales[j] = ScaleSearch.scaleAndMin(32, nmax, x, xj, weights, levels, 32 * j, mins, j,
                    -0.9f, 0.05f, 36, false, true);
        }
        int[] ls = new int[8];
        int[] lm = new int[8];
        float dBlock = ScaleSearch.positiveScale(8, 63, scales, ls, sw);
        float mBlock = ScaleSearch.positiveScale(8, 63, mins, lm, sw);
        for (int j = 0; j < 8; j++) {
            PackedScales.packK4(packed, j, Math.min(63, ls[j]), Math.min(63, lm[j]));
        }
        putHalf(block, 0, dBlock);
        putHalf(block, 2, mBlock);
    }

    /** Rounds every value again against the stored (fp16, 6-bit) scale and min of its sub-block. */
    private void requantize(float[] x, int x0, byte[] packed, byte[] block, int[] levels) {
        MemorySegment scales = MemorySegment.ofArray(packed);
        float d = getHalf(block, 0);
        float dmin = getHalf(block, 2);
        for (int j = 0; j < 8; j++) {
            float dj = d * PackedScales.scaleK4(scales, 0, j);
            if (dj == 0) {
                continue;
            }
            float mj = dmin * PackedScales.minK4(scales, 0, j);
            for (int i = 0; i < 32; i++) {
                int l = Rounding.nearestInt((x[x0 + 32 * j + i] + mj) / dj);
                levels[32 * j + i] = Math.max(0, Math.min(nmax, l));
            }
        }
    }

    private void pack(int[] levels, byte[] block) {
        if (type == DType.Q4_K) {
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    block[16 + 32 * c + l] = (byte) (levels[64 * c + l] | (levels[64 * c + 32 + l] << 4));
                }
            }
            return;
        }
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int l1 = levels[64 * c + l];
                int l2 = levels[64 * c + 32 + l];
                int hbits = ((l1 >>> 4) << (2 * c)) | ((l2 >>> 4) << (2 * c + 1));
                block[16 + l] |= (byte) hbits;
                block[48 + 32 * c + l] = (byte) ((l1 & 0xF) | ((l2 & 0xF) << 4));
            }
        }
    }

    static void putHalf(byte[] block, int at, float v) {
        short h = Float.floatToFloat16(v);
        block[at] = (byte) h;
        block[at + 1] = (byte) (h >>> 8);
    }

    static float getHalf(byte[] block, int at) {
        return Float.float16ToFloat((short) ((block[at] & 0xFF) | (block[at + 1] << 8)));
    }
}
