package dev.jllm.core.tensor;

/**
 * Element types of tensors, with GGML's block layouts.
 *
 * <p>A quantized type stores {@link #blockSize()} elements in {@link #blockBytes()} bytes; a row
 * of a tensor must hold a whole number of blocks. The byte layouts are exactly GGML's (see
 * {@code ggml-common.h}) so that tensors of GGUF files written by llama.cpp are used in place.
 * NF4 is not a GGML type: it is QLoRA's 4-bit NormalFloat, laid out here as a block of 64
 * elements: an F32 absmax followed by 32 bytes of 4-bit codes, element 2i in the high nibble and
 * 2i+1 in the low nibble of byte i (bitsandbytes' order).
 */
public enum DType {
    /** IEEE binary32. */
    F32(0, 1, 4),
    /** IEEE binary16. */
    F16(1, 1, 2),
    /** bfloat16: the upper half of a binary32. */
    BF16(30, 1, 2),
    /** 32 × int8 with an F16 scale. */
    Q8_0(8, 32, 2 + 32),
    /** 32 × int8 with F16 scale and F16 scale·sum; an activation type only. */
    Q8_1(9, 32, 4 + 32),
    /** 32 × 4-bit (offset 8) with an F16 scale. */
    Q4_0(2, 32, 2 + 16),
    /** 32 × 4-bit with F16 scale and F16 minimum. */
    Q4_1(3, 32, 4 + 16),
    /** 32 × 5-bit (offset 16): F16 scale, 32 high bits, 16 bytes of low nibbles. */
    Q5_0(6, 32, 2 + 4 + 16),
    /** 32 × 5-bit: F16 scale and minimum, 32 high bits, 16 bytes of low nibbles. */
    Q5_1(7, 32, 4 + 4 + 16),
    /** Super-block of 256 × 2-bit in 16 groups with 4-bit scales and mins. */
    Q2_K(10, 256, 16 + 64 + 2 + 2),
    /** Super-block of 256 × 3-bit in 16 groups with 6-bit scales. */
    Q3_K(11, 256, 32 + 64 + 12 + 2),
    /** Super-block of 256 × 4-bit in 8 groups with 6-bit scales and mins. */
    Q4_K(12, 256, 2 + 2 + 12 + 128),
    /** Super-block of 256 × 5-bit in 8 groups with 6-bit scales and mins. */
    Q5_K(13, 256, 2 + 2 + 12 + 32 + 128),
    /** Super-block of 256 × 6-bit in 16 groups with int8 scales. */
    Q6_K(14, 256, 128 + 64 + 16 + 2),
    /** Super-block of 256 × int8 with an F32 scale and 16 int16 group sums; an activation type only. */
    Q8_K(15, 256, 4 + 256 + 32),
    /** QLoRA 4-bit NormalFloat: blocks of 64 with an F32 absmax (not a GGML type). */
    NF4(-1, 64, 4 + 32);

    private final int ggmlId;
    private final int blockSize;
    private final int blockBytes;

    DType(int ggmlId, int blockSize, int blockBytes) {
        this.ggmlId = ggmlId;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** GGML's numeric type id as stored in GGUF tensor infos, or -1 for types GGML does not have. */
    public int ggmlId() {
        return ggmlId;
    }

    /** Elements per block (1 for float types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Whether this type stores blocks of quantized values rather than plain floats. */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /**
     * Bytes needed for {@code elements} elements.
     *
     * @throws IllegalArgumentException if {@code elements} is negative or not a multiple of the
     *     block size, or the byte count overflows a long
     */
    public long bytesFor(long elements) {
        if (elements < 0) {
            throw new IllegalArgumentException(name() + ": negative element count " + elements);
        }
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(name() + ": " + elements
                    + " elements is not a multiple of the block size " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** The type with GGML id {@code id}, or null if jllm does not know it. */
    public static DType fromGgmlId(int id) {
        for (DType t : values()) {
            if (t.ggmlId == id && id >= 0) {
                return t;
            }
        }
        return null;
    }
}
