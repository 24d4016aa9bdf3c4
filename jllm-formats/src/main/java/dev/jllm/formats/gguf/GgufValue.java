package dev.jllm.formats.gguf;

import java.util.List;
import java.util.Objects;

/**
 * A GGUF metadata value with its file type, for writing files and for reading a value's exact
 * type back. The Java value follows {@link GgufFile#metadata()}'s mapping: Integer for the
 * small integer types and INT32, Long for UINT32, UINT64 and INT64, Float, Double, Boolean,
 * String, and a {@code List} for arrays. For an array, {@code elementType} names the type of
 * its items; the items of an array of arrays are themselves {@code GgufValue}s of type ARRAY.
 *
 * @param type the value's type
 * @param elementType the type of the items when {@code type} is ARRAY, otherwise null
 * @param value the Java value
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    /** Checks that the type and element type agree. */
    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if ((type == GgufValueType.ARRAY) != (elementType != null)) {
            throw new IllegalArgumentException("an element type is given exactly for ARRAY values, not for "
                    + type + " with element type " + elementType);
        }
        if (type == GgufValueType.ARRAY && !(value instanceof List<?>)) {
            throw new IllegalArgumentException("an ARRAY value must be a List, not " + value.getClass().getName());
        }
    }

    /** A scalar or string value of {@code type}. */
    public static GgufValue of(GgufValueType type, Object value) {
        return new GgufValue(type, null, value);
    }

    /** An array of {@code items} of {@code elementType}. */
    public static GgufValue array(GgufValueType elementType, List<?> items) {
        return new GgufValue(GgufValueType.ARRAY, Objects.requireNonNull(elementType, "elementType"), items);
    }

    /** A STRING value. */
    public static GgufValue string(String s) {
        return of(GgufValueType.STRING, s);
    }

    /** A UINT32 value (0 to 2^32-1). */
    public static GgufValue uint32(long v) {
        return of(GgufValueType.UINT32, v);
    }

    /** An INT32 value. */
    public static GgufValue int32(int v) {
        return of(GgufValueType.INT32, v);
    }

    /** A UINT64 value. */
    public static GgufValue uint64(long v) {
        return of(GgufValueType.UINT64, v);
    }

    /** A FLOAT32 value. */
    public static GgufValue float32(float v) {
        return of(GgufValueType.FLOAT32, v);
    }

    /** A BOOL value. */
    public static GgufValue bool(boolean v) {
        return of(GgufValueType.BOOL, v);
    }

    /**
     * The plain Java value of {@link GgufFile#metadata()}'s mapping: arrays of arrays become
     * nested Lists with no GgufValue inside.
     */
    public Object plain() {
        if (type == GgufValueType.ARRAY && elementType == GgufValueType.ARRAY) {
            List<?> items = (List<?>) value;
            Object[] out = new Object[items.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = items.get(i) instanceof GgufValue g ? g.plain() : items.get(i);
            }
            return List.of(out);
        }
        return value;
    }
}
