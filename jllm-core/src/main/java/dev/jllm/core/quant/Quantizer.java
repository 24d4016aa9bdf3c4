package dev.jllm.core.quant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/** Converts floats to the blocks of one weight type. */
public interface Quantizer {

    /** The type this quantizer writes. */
    DType type();

    /**
     * Quantizes {@code count} floats (a multiple of the block size) from
     * {@code src[srcOffset ..]} into blocks written at byte {@code dstOffset} of {@code dst}.
     *
     * @param importance per-element weights of the squared error to minimise (llama.cpp's
     *     importance matrix, aligned with {@code src[srcOffset ..]}), or null for none. Types whose
     *     reference quantizer ignores importance ignore it too.
     */
    void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset, float[] importance);

    /** Quantizes without importance weights. */
    default void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset) {
        quantize(src, srcOffset, count, dst, dstOffset, null);
    }
}
