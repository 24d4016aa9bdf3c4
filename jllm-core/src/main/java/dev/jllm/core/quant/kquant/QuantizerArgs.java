package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/** The argument checks shared by the K-quant quantizers. */
final class QuantizerArgs {
    private QuantizerArgs() {
    }

    /**
     * Throws IllegalArgumentException unless {@code count} is a non-negative multiple of 256 and
     * the source, importance and destination windows hold it.
     */
    static void check(DType type, float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset,
            float[] importance) {
        KQuantKernel.checkCount(type, count);
        if (srcOffset < 0 || srcOffset > src.length - count) {
            throw new IllegalArgumentException(type + ": source window [" + srcOffset + ", "
                    + ((long) srcOffset + count) + ") is outside an array of length " + src.length);
        }
        if (importance != null && importance.length < count) {
            throw new IllegalArgumentException(type + ": importance has " + importance.length
                    + " weights for " + count + " elements");
        }
        long bytes = type.bytesFor(count);
        if (dstOffset < 0 || dstOffset > dst.byteSize() - bytes) {
            throw new IllegalArgumentException(type + ": " + count + " elements need " + bytes
                    + " bytes at offset " + dstOffset + " of a segment of " + dst.byteSize() + " bytes");
        }
    }
}
