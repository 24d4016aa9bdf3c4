package dev.jllm.core.quant.legacy;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.Rounding;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Writes GGML's 32-blocks bit for bit as llama.cpp does.
 *
 * <p>Without importance this follows {@code quantize_row_q*_ref} of ggml-quants.c: Q8_0 rounds
 * x/d with d = amax/127; Q4_0 and Q5_0 take d = max/-8 (or /-16) where max is the signed value
 * of largest magnitude; Q4_1 and Q5_1 spread [min, max] over 15 (or 31) steps. With importance
 * it follows {@code quantize_row_q*_impl} (see {@link ImportanceSearch}); Q8_0 ignores importance
 * as GGML does. With importance the {@code count} values of one call are taken as one row, as the
 * impl functions compute the row's mean square over all of them: quantize one row per call.
 *
 * <p>Float arithmetic follows the C expressions operation by operation without fused
 * multiply-add, so the bytes match a build of GGML that does not contract floating-point
 * expressions.
 */
final class LegacyQuantizer implements Quantizer {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType type;

    /** The quantizer of {@code type}, one of Q8_0, Q4_0, Q4_1, Q5_0, Q5_1. */
    LegacyQuantizer(DType type) {
        switch (type) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> { }
            default -> throw new IllegalArgumentException("not a 32-block type: " + type);
        }
        this.type = type;
    }

    @Override
    public DType type() {
        return type;
    }

    @Override
    public void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset, float[] importance) {
        int blocks = KernelArguments.blocks(type, count);
        KernelArguments.checkFloats("src", src, srcOffset, count);
        KernelArguments.checkBlocks(type, dst, dstOffset, blocks);
        if (importance != null && type != DType.Q8_0) {
            KernelArguments.checkFloats("importance", importance, 0, count);
            quantizeWeighted(src, srcOffset, count, dst, dstOffset, importance);
            return;
        }
        int[] q = new int[32];
        for (int b = 0; b < blocks; b++) {
            int x = srcOffset + b * 32;
            long o = dstOffset + (long) b * type.blockBytes();
            switch (type) {
                case Q8_0 -> quantizeQ8_0(src, x, dst, o);
                case Q4_0, Q5_0 -> {
                    int levels = type == DType.Q4_0 ? 8 : 16;
                    float d = symmetric(src, x, levels, q);
                    dst.set(HALF, o, Float.floatToFloat16(d));
                    writeCodes(q, dst, o + 2);
                }
                case Q4_1, Q5_1 -> {
                    affine(src, x, type == DType.Q4_1 ? 15 : 31, q, dst, o);
                    writeCodes(q, dst, o + 4);
                }
                default -> throw new AssertionError(type);
            }
        }
    }

    private static void quantizeQ8_0(float[] src, int x, MemorySegment dst, long o) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            float a = Math.abs(src[x + j]);
            amax = amax > a ? amax : a;
        }
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        dst.set(HALF, o, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) Rounding.roundHalfAway(src[x + j] * id));
        }
    }

    /**
     * Q4_0 (levels 8) and Q5_0 (levels 16): d = max / -levels, q = min(2·levels - 1,
     * trunc(x/d + levels + 0.5)); returns d.
     */
    private static float symmetric(float[] src, int x, int levels, int[] q) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = src[x + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -levels;
        float id = d != 0f ? 1f / d : 0f;
        float bias = levels + 0.5f;
        for (int j = 0; j < 32; j++) {
            // C converts the float straight to int8_t: truncation toward zero
            q[j] = Math.min(2 * levels - 1, (byte) (int) (src[x + j] * id + bias));
        }
        return d;
    }

    /**
     * Q4_1 (steps 15) and Q5_1 (steps 31): d = (max - min) / steps, q = trunc((x - min)/d + 0.5),
     * capped at 15 for Q4_1 only (as GGML); writes d and min at byte {@code o} of {@code dst}.
     */
    private static void affine(float[] src, int x, int steps, int[] q, MemorySegment dst, long o) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = src[x + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / steps;
        float id = d != 0f ? 1f / d : 0f;
        for (int j = 0; j < 32; j++) {
            int t = (int) ((src[x + j] - min) * id + 0.5f);
            q[j] = steps == 15 ? Math.min(15, (byte) t) : t & 0xFF;
        }
        dst.set(HALF, o, Float.floatToFloat16(d));
        dst.set(HALF, o + 2, Float.floatToFloat16(min));
    }

    /** Packs 32 codes at {@code at}: for 5-bit types the 32 fifth bits first, then the nibbles. */
    private void writeCodes(int[] q, MemorySegment dst, long at) {
        long qs = at;
        if (type == DType.Q5_0 || type == DType.Q5_1) {
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                qh |= ((q[j] & 0x10) >>> 4) << j;
                qh |= ((q[j + 16] & 0x10) >>> 4) << (j + 16);
            }
            dst.set(INT, at, qh);
            qs = at + 4;
        }
        for (int j = 0; j < 16; j++) {
            dst.set(ValueLayout.JAVA_BYTE, qs + j, (byte) ((q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4)));
        }
    }

    /** GGML's {@code quantize_row_q*_impl}: per-block search weighted by importance × sqrt(σ² + x²). */
    private void quantizeWeighted(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset,
            float[] importance) {
        float sumX2 = 0f;
        for (int j = 0; j < count; j++) {
            sumX2 += src[srcOffset + j] * src[srcOffset + j];
        }
        float sigma2 = sumX2 / count;
        float[] xb = new float[32];
        float[] weight = new float[32];
        int[] q = new int[32];
        for (int b = 0; b < count / 32; b++) {
            System.arraycopy(src, srcOffset + b * 32, xb, 0, 32);
            for (int j = 0; j < 32; j++) {
                weight[j] = importance[b * 32 + j] * (float) Math.sqrt(sigma2 + xb[j] * xb[j]);
            }
            long o = dstOffset + (long) b * type.blockBytes();
            if (type == DType.Q4_0 || type == DType.Q5_0) {
                float d = ImportanceSearch.symmetricScale(xb, weight, type == DType.Q4_0 ? 8 : 16, q);
                dst.set(HALF, o, Float.floatToFloat16(d));
                writeCodes(q, dst, o + 2);
            } else {
                float[] min = new float[1];
                float d = ImportanceSearch.affineScale(xb, weight, type == DType.Q4_1 ? 15 : 31, q, min);
                dst.set(HALF, o, Float.floatToFloat16(d));
                dst.set(HALF, o + 2, Float.floatToFloat16(min[0]));
                writeCodes(q, dst, o + 4);
            }
        }
    }
}
