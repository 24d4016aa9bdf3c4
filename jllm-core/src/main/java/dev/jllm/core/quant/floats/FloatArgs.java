package dev.jllm.core.quant.floats;

import java.lang.foreign.MemorySegment;

/** Argument checks shared by the float kernels, so every kernel fails the same way on bad ranges. */
final class FloatArgs {
    private FloatArgs() {
    }

    /** Checks that {@code count} elements of {@code bytesPerElement} at {@code offset} and the float range exist. */
    static void check(String type, MemorySegment seg, long offset, int bytesPerElement, float[] x, int xOffset,
            int count) {
        if (count < 0) {
            throw new IllegalArgumentException(type + ": negative count " + count);
        }
        if (xOffset < 0 || xOffset > x.length - count) {
            throw new IllegalArgumentException(type + ": float range [" + xOffset + ", " + xOffset + " + " + count
                    + ") is outside an array of length " + x.length);
        }
        if (offset < 0 || offset > seg.byteSize() - (long) count * bytesPerElement) {
            throw new IllegalArgumentException(type + ": " + count + " elements at byte " + offset
                    + " do not fit a segment of " + seg.byteSize() + " bytes");
        }
    }
}
