package dev.jllm.core.quant.nf4;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes {@link DType#NF4} blocks as bitsandbytes quantizes 4-bit NormalFloat: each block of 64 is
 * divided by its absolute maximum and each value coded as the nearest NF4 level. Importance
 * weights are ignored, as bitsandbytes has none.
 */
public final class Nf4Quantizer implements Quantizer {

    @Override
    public DType type() {
        return DType.NF4;
    }

    @Override
    public void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset, float[] importance) {
        Nf4BlockLayout.check(dst, dstOffset, src, srcOffset, count);
        byte[] codes = new byte[32];
        for (int b = 0; b < count / Nf4BlockLayout.BLOCK; b++) {
            int in = srcOffset + b * Nf4BlockLayout.BLOCK;
            float absmax = quantizeBlock(src, in, codes, 0);
            long block = dstOffset + (long) b * Nf4BlockLayout.BLOCK_BYTES;
            dst.set(Nf4BlockLayout.LE_FLOAT, block, absmax);
            MemorySegment.copy(codes, 0, dst, ValueLayout.JAVA_BYTE, block + Nf4BlockLayout.CODES_OFFSET, 32);
        }
    }

    /**
     * Codes the 64 values at {@code src[srcOffset ..]} into 32 packed bytes at
     * {@code codes[codesOffset ..]} and returns the block's absmax.
     */
    static float quantizeBlock(float[] src, int srcOffset, byte[] codes, int codesOffset) {
        float absmax = 0;
        for (int i = 0; i < Nf4BlockLayout.BLOCK; i++) {
            absmax = Math.max(absmax, Math.abs(src[srcOffset + i]));
        }
        float inverse = absmax == 0 ? 0 : 1 / absmax;
        for (int i = 0; i < 32; i++) {
            int high = Nf4Codebook.code(src[srcOffset + 2 * i] * inverse);
            int low = Nf4Codebook.code(src[srcOffset + 2 * i + 1] * inverse);
            codes[codesOffset + i] = (byte) (high << 4 | low);
        }
        return absmax;
    }
}
