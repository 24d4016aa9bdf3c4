package dev.jllm.formats.onnx;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One ONNX {@code TensorProto}: name, element type, dimensions and its elements as little-endian bytes. Tensors
 * stored as {@code raw_data} (or as one packed {@code float_data} run) are views of the mapped file, not copies;
 * the segment may be unaligned, so it is read with unaligned layouts.
 *
 * @param name the tensor's name (empty for constants inside attributes)
 * @param type the element type
 * @param dims the dimensions, outermost first
 * @param data the elements, {@code elementCount() * type.size()} bytes; null when the type carries no data here
 * @param offset byte offset of the tensor's message in the file, for errors
 */
public record OnnxTensor(String name, OnnxDataType type, long[] dims, MemorySegment data, long offset) {

    /** The number of elements: the product of the dimensions (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** The rank. */
    public int rank() {
        return dims.length;
    }

    /** Whether its elements can be read as numbers. */
    public boolean hasData() {
        return data != null;
    }

    /** Element {@code i} as a double, for floating-point and integer types. */
    public double number(long i) {
        return switch (type) {
            case FLOAT -> data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4);
            case FLOAT16 -> Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2));
            case BFLOAT16 -> Float.intBitsToFloat((data.get(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2) & 0xFFFF) << 16);
            case DOUBLE -> data.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, i * 8);
            default -> integer(i);
        };
    }

    /** Element {@code i} of an integer tensor. */
    public long integer(long i) {
        return switch (type) {
            case INT64, UINT64 -> data.get(ValueLayout.JAVA_LONG_UNALIGNED, i * 8);
            case INT32 -> data.get(ValueLayout.JAVA_INT_UNALIGNED, i * 4);
            case UINT32 -> data.get(ValueLayout.JAVA_INT_UNALIGNED, i * 4) & 0xFFFF_FFFFL;
            case INT16 -> data.get(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2);
            case UINT16 -> data.get(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2) & 0xFFFF;
            case INT8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case UINT8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            default -> throw new IllegalStateException("tensor \"" + name + "\" of type " + type + " is not an integer tensor");
        };
    }

    /** A short description for messages: {@code name FLOAT[384, 1536]}. */
    public String describe() {
        return (name.isEmpty() ? "<constant>" : name) + " " + type + Arrays.toString(dims);
    }
}
