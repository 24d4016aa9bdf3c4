package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Common ground of the K-quant kernels: the super-block size, little-endian field reads and the
 * argument checks every entry point makes before touching memory.
 */
abstract class KQuantKernel implements WeightKernel {
    /** Elements per super-block (GGML's QK_K). */
    static final int QK_K = 256;
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType type;

    KQuantKernel(DType type) {
        this.type = type;
    }

    @Override
    public final DType type() {
        return type;
    }

    /** Reads the binary16 at byte {@code offset} as a float. */
    static float half(MemorySegment seg, long offset) {
        return Float.float16ToFloat(seg.get(HALF, offset));
    }

    /** Reads the byte at {@code offset} as an unsigned value. */
    static int ubyte(MemorySegment seg, long offset) {
        return seg.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** Checks a request for {@code count} elements against a float array window. */
    final void checkArgs(MemorySegment seg, long offset, int count, float[] array, int arrayOffset, String arrayName) {
        checkCount(type, count);
        if (arrayOffset < 0 || arrayOffset > array.length - count) {
            throw new IllegalArgumentException(type + ": " + arrayName + " window [" + arrayOffset + ", "
                    + ((long) arrayOffset + count) + ") is outside an array of length " + array.length);
        }
        checkSegment(seg, offset, count);
    }

    /** Checks a quantized-activation request; {@code x} must be Q8_K. */
    final void checkArgs(MemorySegment seg, long offset, int count, QuantizedActivations x, int xOffset) {
        checkCount(type, count);
        if (x.format() != DType.Q8_K) {
            throw new IllegalArgumentException(type + " takes Q8_K activations, got " + x.format());
        }
        if (xOffset < 0 || xOffset % QK_K != 0 || xOffset > x.length() - count) {
            throw new IllegalArgumentException(type + ": activation window [" + xOffset + ", "
                    + ((long) xOffset + count) + ") is not block-aligned inside " + x.length() + " activations");
        }
        checkSegment(seg, offset, count);
    }

    private void checkSegment(MemorySegment seg, long offset, int count) {
        long bytes = (long) (count / QK_K) * type.blockBytes();
        if (offset < 0 || offset > seg.byteSize() - bytes) {
            throw new IllegalArgumentException(type + ": " + count + " elements need " + bytes + " bytes at offset "
                    + offset + " of a segment of " + seg.byteSize() + " bytes");
        }
    }

    /** Throws unless {@code count} is a non-negative multiple of the super-block size. */
    static void checkCount(DType type, int count) {
        if (count < 0 || count % QK_K != 0) {
            throw new IllegalArgumentException(type + ": element count " + count
                    + " is not a non-negative multiple of the super-block size " + QK_K);
        }
    }
}
