package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Scalar reference kernel of Q6_K: {u8 ql[128]; u8 qh[64]; i8 scales[16]; half d}. In each half
 * {@code n} of 128 elements, element {@code l + 32k} (k = 0..3) takes a nibble of
 * {@code ql[64n + l + 32(k & 1)]} (low for k < 2, high otherwise) and bits {@code 2k, 2k+1} of
 * {@code qh[32n + l]}, minus 32, times {@code d·scales[8n + k·2 + l/16]}.
 */
final class Q6KScalarKernel extends ScalarKernel {

    Q6KScalarKernel() {
        super(DType.Q6_K);
    }

    /** The signed 6-bit value of element {@code i} of the block at {@code at}. */
    static int value(MemorySegment src, long at, int i) {
        int n = i >>> 7;
        int k = (i >>> 5) & 3;
        int l = i & 31;
        int ql = ubyte(src, at + 64 * n + l + 32 * (k & 1));
        int low = k < 2 ? ql & 0xF : ql >>> 4;
        int high = (ubyte(src, at + 128 + 32 * n + l) >>> (2 * k)) & 3;
        return (low | (high << 4)) - 32;
    }

    /** Scale of element {@code i}. */
    static int scale(MemorySegment src, long at, int i) {
        return src.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at + 192 + i / 16);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long at, float[] dst, int dstOffset) {
        float d = half(src, at + 208);
        for (int i = 0; i < QK_K; i++) {
            dst[dstOffset + i] = d * scale(src, at, i) * value(src, at, i);
        }
    }

    @Override
    float dotQ8K(MemorySegment w, long offset, QuantizedActivations x, int block0, int blocks) {
        float[] sums = new float[8];
        int[] aux32 = new int[8];
        for (int b = 0; b < blocks; b++) {
            long at = offset + (long) b * DType.Q6_K.blockBytes();
            int xb = block0 + b;
            int q8 = xb * QK_K;
            java.util.Arrays.fill(aux32, 0);
            for (int i = 0; i < QK_K; i++) {
                aux32[i & 7] += scale(w, at, i) * (x.qs[q8 + i] * value(w, at, i));
            }
            float d = half(w, at + 208) * x.scales[xb];
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
