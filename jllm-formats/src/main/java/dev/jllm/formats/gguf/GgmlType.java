package dev.jllm.formats.gguf;

import dev.jllm.core.tensor.DType;

/**
 * Every tensor type GGML stores in GGUF files, with its type id, block size (elements per block) and block
 * bytes as GGML defines them, whether or not jllm has kernels for it; {@link #dtype()} names the ones it has.
 * Ids that GGML retired (4, 5, 31-33, 36-38: old Q4_2/Q4_3 and the repacked Q4_0/IQ4_NL layouts) are absent.
 */
public enum GgmlType {
    F32(0, 1, 4), F16(1, 1, 2), Q4_0(2, 32, 18), Q4_1(3, 32, 20), Q5_0(6, 32, 22), Q5_1(7, 32, 24),
    Q8_0(8, 32, 34), Q8_1(9, 32, 36), Q2_K(10, 256, 84), Q3_K(11, 256, 110), Q4_K(12, 256, 144),
    Q5_K(13, 256, 176), Q6_K(14, 256, 210), Q8_K(15, 256, 292),
    /** 2-bit importance-matrix quantizations: d, then 256 weights in 8-element grid indices. */
    IQ2_XXS(16, 256, 66), IQ2_XS(17, 256, 74), IQ3_XXS(18, 256, 98), IQ1_S(19, 256, 50), IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110), IQ2_S(22, 256, 82), IQ4_XS(23, 256, 136),
    I8(24, 1, 1), I16(25, 1, 2), I32(26, 1, 4), I64(27, 1, 8), F64(28, 1, 8),
    IQ1_M(29, 256, 56), BF16(30, 1, 2),
    /** Ternary quantizations (BitNet b1.58). */
    TQ1_0(34, 256, 54), TQ2_0(35, 256, 66),
    /** OCP microscaling FP4: an E8M0 scale byte and 32 E2M1 values. */
    MXFP4(39, 32, 17);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** GGML's type id. */
    public int id() {
        return id;
    }

    /** Elements per block. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /** jllm's type for this one, or null when jllm has no kernels for it. */
    public DType dtype() {
        return DType.fromGgmlId(id);
    }

    /** The type with GGML id {@code id}, or null for an id GGML does not (or no longer) define. */
    public static GgmlType of(long id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** The GGML type of jllm type {@code type}, or null when it has none (NF4). */
    public static GgmlType of(DType type) {
        return type.ggmlId() < 0 ? null : of(type.ggmlId());
    }
}
