package dev.jllm.formats.safetensors;

import dev.jllm.core.tensor.DType;

/**
 * The element types a safetensors header names, with their sizes. F32, F16 and BF16 map to jllm
 * {@link DType}s and can be viewed as {@link dev.jllm.core.tensor.Tensor}s; the others are read as
 * raw bytes.
 */
public enum SafetensorsDType {
    /** Boolean, one byte. */
    BOOL(1, null),
    /** Unsigned 8-bit integer. */
    U8(1, null),
    /** Signed 8-bit integer. */
    I8(1, null),
    /** 8-bit float with 5 exponent bits. */
    F8_E5M2(1, null),
    /** 8-bit float with 4 exponent bits. */
    F8_E4M3(1, null),
    /** Signed 16-bit integer. */
    I16(2, null),
    /** Unsigned 16-bit integer. */
    U16(2, null),
    /** IEEE binary16. */
    F16(2, DType.F16),
    /** bfloat16. */
    BF16(2, DType.BF16),
    /** Signed 32-bit integer. */
    I32(4, null),
    /** Unsigned 32-bit integer. */
    U32(4, null),
    /** IEEE binary32. */
    F32(4, DType.F32),
    /** IEEE binary64. */
    F64(8, null),
    /** Signed 64-bit integer. */
    I64(8, null),
    /** Unsigned 64-bit integer. */
    U64(8, null);

    private final int size;
    private final DType coreType;

    SafetensorsDType(int size, DType coreType) {
        this.size = size;
        this.coreType = coreType;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** The jllm tensor type, or null when this type is only readable as raw bytes. */
    public DType coreType() {
        return coreType;
    }

    /** The type named {@code name} in a header, or null when there is none. */
    public static SafetensorsDType fromName(String name) {
        for (SafetensorsDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /**
     * The safetensors type of a jllm type.
     *
     * @throws IllegalArgumentException for quantized types, which safetensors cannot hold
     */
    public static SafetensorsDType of(DType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            default -> throw new IllegalArgumentException(type + " cannot be stored in safetensors");
        };
    }
}
