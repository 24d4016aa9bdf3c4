package dev.jllm.core.quant.legacy;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/** Argument checks shared by the kernels and quantizers of the 32-blocks, with messages naming sizes. */
final class KernelArguments {
    private KernelArguments() {
    }

    /** Number of 32-blocks in {@code count} elements of {@code type}. */
    static int blocks(DType type, int count) {
        if (count < 0 || count % 32 != 0) {
            throw new IllegalArgumentException(type + ": element count " + count
                    + " is not a non-negative multiple of the block size 32");
        }
        return count / 32;
    }

    /** Checks that {@code blocks} blocks of {@code type} lie inside {@code seg} from byte {@code offset}. */
    static void checkBlocks(DType type, MemorySegment seg, long offset, int blocks) {
        long bytes = (long) blocks * type.blockBytes();
        if (offset < 0 || offset > seg.byteSize() - bytes) {
            throw new IllegalArgumentException(type + ": " + blocks + " blocks (" + bytes + " bytes) at byte offset "
                    + offset + " do not fit in a segment of " + seg.byteSize() + " bytes");
        }
    }

    /** Checks that {@code rows} rows of {@code blocks} blocks, {@code rowBytes} apart from {@code offset}, lie inside {@code seg}. */
    static void checkRows(DType type, MemorySegment seg, long offset, long rowBytes, int rows, int blocks) {
        if (rows < 0 || rowBytes < (long) blocks * type.blockBytes()) {
            throw new IllegalArgumentException(type + ": " + rows + " rows of " + blocks + " blocks cannot lie "
                    + rowBytes + " bytes apart");
        }
        if (rows > 0) {
            checkBlocks(type, seg, offset, blocks);
            checkBlocks(type, seg, offset + (rows - 1) * rowBytes, blocks);
        }
    }

    /** Checks that {@code array[offset .. offset + count)} exists. */
    static void checkFloats(String name, float[] array, int offset, int count) {
        if (offset < 0 || offset > array.length - count) {
            throw new IllegalArgumentException(name + " range [" + offset + ", " + ((long) offset + count)
                    + ") is outside an array of length " + array.length);
        }
    }

    /**
     * Checks that {@code x} holds {@code count} quantized activations from {@code xOffset} in a
     * format the weight type can use: Q8_1 when the weights have a minimum, Q8_0 or Q8_1 otherwise.
     */
    static void checkActivations(DType type, QuantizedActivations x, int xOffset, int count, boolean needsSums) {
        DType f = x.format();
        if (f != DType.Q8_1 && (needsSums || f != DType.Q8_0)) {
            throw new IllegalArgumentException(type + " weights need " + (needsSums ? "Q8_1" : "Q8_0 or Q8_1")
                    + " activations, got " + f);
        }
        if (xOffset < 0 || xOffset % 32 != 0 || xOffset > x.length() - count) {
            throw new IllegalArgumentException("activation range [" + xOffset + ", " + ((long) xOffset + count)
                    + ") is not block aligned or lies outside the " + x.length() + " quantized activations");
        }
    }
}
