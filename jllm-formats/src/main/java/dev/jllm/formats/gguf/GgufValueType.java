package dev.jllm.formats.gguf;

/**
 * The types of GGUF metadata values, with their numeric ids as stored in the file and the
 * fixed byte size of the scalar types.
 */
public enum GgufValueType {
    /** Unsigned 8-bit integer, read as an {@link Integer}. */
    UINT8(0, 1),
    /** Signed 8-bit integer, read as an {@link Integer}. */
    INT8(1, 1),
    /** Unsigned 16-bit integer, read as an {@link Integer}. */
    UINT16(2, 2),
    /** Signed 16-bit integer, read as an {@link Integer}. */
    INT16(3, 2),
    /** Unsigned 32-bit integer, read as a {@link Long}. */
    UINT32(4, 4),
    /** Signed 32-bit integer, read as an {@link Integer}. */
    INT32(5, 4),
    /** IEEE binary32, read as a {@link Float}. */
    FLOAT32(6, 4),
    /** One byte, 0 or 1, read as a {@link Boolean}. */
    BOOL(7, 1),
    /** uint64 byte length and UTF-8 bytes, read as a {@link String}. */
    STRING(8, -1),
    /** Element type, uint64 count and the elements, read as a {@link java.util.List}. */
    ARRAY(9, -1),
    /** Unsigned 64-bit integer, read as a {@link Long} (values above 2^63-1 wrap to negative). */
    UINT64(10, 8),
    /** Signed 64-bit integer, read as a {@link Long}. */
    INT64(11, 8),
    /** IEEE binary64, read as a {@link Double}. */
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The numeric id stored in the file. */
    public int id() {
        return id;
    }

    /** Bytes of one scalar value, or -1 for strings and arrays. */
    public int scalarSize() {
        return size;
    }

    /** The fewest bytes one value of this type can take in a file (lengths and headers included). */
    int minimumSize() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 4 + 8;
            default -> size;
        };
    }

    /** Whether the type is one of the eight integer types. */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type with id {@code id}, or null when there is none. */
    public static GgufValueType fromId(long id) {
        // ids are dense 0..12 and the enum is declared in id order
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
