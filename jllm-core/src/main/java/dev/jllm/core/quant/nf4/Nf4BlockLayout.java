package dev.jllm.core.quant.nf4;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Facts of the {@code DType.NF4} block: 64 elements as an F32 absmax (little endian) and 32 bytes
 * of codes, element 2i in the HIGH nibble and 2i+1 in the low nibble of byte i, the order
 * bitsandbytes packs its 4-bit tensors in.
 */
final class Nf4BlockLayout {
    static final int BLOCK = 64;
    static final int BLOCK_BYTES = 36;
    static final int CODES_OFFSET = 4;
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Nf4BlockLayout() {
    }

    /** Checks a range of whole blocks in {@code seg} and a matching float range. */
    static void check(MemorySegment seg, long offset, float[] x, int xOffset, int count) {
        if (count < 0 || count % BLOCK != 0) {
            throw new IllegalArgumentException("NF4: count " + count + " is not a non-negative multiple of " + BLOCK);
        }
        if (xOffset < 0 || xOffset > x.length - count) {
            throw new IllegalArgumentException("NF4: float range [" + xOffset + ", " + xOffset + " + " + count
                    + ") is outside an array of length " + x.length);
        }
        long bytes = (long) (count / BLOCK) * BLOCK_BYTES;
        if (offset < 0 || offset > seg.byteSize() - bytes) {
            throw new IllegalArgumentException("NF4: " + count + " elements (" + bytes + " bytes) at byte " + offset
                    + " do not fit a segment of " + seg.byteSize() + " bytes");
        }
    }
}
