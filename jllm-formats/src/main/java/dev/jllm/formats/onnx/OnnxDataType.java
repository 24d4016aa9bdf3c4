package dev.jllm.formats.onnx;

/**
 * The element types of ONNX's {@code TensorProto.DataType} that a weight file can hold, with their wire codes and
 * sizes; types without a fixed byte size (strings, 4-bit) have size 0 and carry no data here.
 */
public enum OnnxDataType {
    /** Not set. */
    UNDEFINED(0, 0),
    /** IEEE binary32. */
    FLOAT(1, 4),
    /** Unsigned 8-bit integer. */
    UINT8(2, 1),
    /** Signed 8-bit integer. */
    INT8(3, 1),
    /** Unsigned 16-bit integer. */
    UINT16(4, 2),
    /** Signed 16-bit integer. */
    INT16(5, 2),
    /** Signed 32-bit integer. */
    INT32(6, 4),
    /** Signed 64-bit integer. */
    INT64(7, 8),
    /** Strings (not read). */
    STRING(8, 0),
    /** One byte per boolean. */
    BOOL(9, 1),
    /** IEEE binary16. */
    FLOAT16(10, 2),
    /** IEEE binary64. */
    DOUBLE(11, 8),
    /** Unsigned 32-bit integer. */
    UINT32(12, 4),
    /** Unsigned 64-bit integer. */
    UINT64(13, 8),
    /** Two binary32 values. */
    COMPLEX64(14, 8),
    /** Two binary64 values. */
    COMPLEX128(15, 16),
    /** bfloat16. */
    BFLOAT16(16, 2),
    /** Any type code this reader does not know (float8, int4, …). */
    OTHER(-1, 0);

    private final int code;
    private final int size;

    OnnxDataType(int code, int size) {
        this.code = code;
        this.size = size;
    }

    /** The code ONNX stores in {@code data_type}. */
    public int code() {
        return code;
    }

    /** Bytes per element, or 0 when elements have no fixed size here. */
    public int size() {
        return size;
    }

    /** Whether this is FLOAT, FLOAT16 or BFLOAT16, the types weights are copied in. */
    public boolean isWeightFloat() {
        return this == FLOAT || this == FLOAT16 || this == BFLOAT16;
    }

    /** Whether this is an integer type (shape and index constants). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, INT32, INT64, UINT32, UINT64, BOOL -> true;
            default -> false;
        };
    }

    /** The type with wire code {@code code}; {@link #OTHER} for unknown codes. */
    public static OnnxDataType of(long code) {
        for (OnnxDataType t : values()) {
            if (t.code == code && t != OTHER) {
                return t;
            }
        }
        return OTHER;
    }
}
