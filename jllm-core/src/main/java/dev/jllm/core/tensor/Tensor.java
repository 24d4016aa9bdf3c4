package dev.jllm.core.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A typed view over a {@link MemorySegment}: element type, shape and the bytes that hold it.
 *
 * <p>The last dimension is the row; rows are stored contiguously, each a whole number of blocks
 * of the type. A tensor never copies its segment: a mapped GGUF file of any size is viewed in
 * place, and slicing a row is a view too.
 */
public final class Tensor {
    private final DType type;
    private final long[] shape;
    private final MemorySegment data;

    private Tensor(DType type, long[] shape, MemorySegment data) {
        this.type = type;
        this.shape = shape;
        this.data = data;
    }

    /**
     * Views {@code data} as a tensor of {@code type} and {@code shape}.
     *
     * @throws IllegalArgumentException if the shape is empty or negative, the row length is not
     *     a multiple of the block size, the size overflows, or {@code data} is too small
     */
    public static Tensor wrap(DType type, MemorySegment data, long... shape) {
        long[] s = shape.clone();
        long bytes = byteSize(type, s);
        if (data.byteSize() < bytes) {
            throw new IllegalArgumentException("tensor " + type + Arrays.toString(s) + " needs " + bytes
                    + " bytes but the segment holds " + data.byteSize());
        }
        return new Tensor(type, s, data.byteSize() == bytes ? data : data.asSlice(0, bytes));
    }

    /** Allocates a zeroed tensor in {@code arena}. */
    public static Tensor allocate(Arena arena, DType type, long... shape) {
        long[] s = shape.clone();
        return new Tensor(type, s, arena.allocate(byteSize(type, s), 64));
    }

    /** An F32 tensor over a heap array (no copy). */
    public static Tensor ofFloats(float[] values, long... shape) {
        return wrap(DType.F32, MemorySegment.ofArray(values), shape);
    }

    /**
     * Bytes a tensor of {@code type} and {@code shape} occupies.
     *
     * @throws IllegalArgumentException naming the shape when it is invalid or its size overflows
     */
    public static long byteSize(DType type, long[] shape) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("tensor shape must have at least one dimension");
        }
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("element count of shape " + Arrays.toString(shape) + " overflows");
            }
        }
        long row = shape[shape.length - 1];
        if (row % type.blockSize() != 0) {
            throw new IllegalArgumentException("row length " + row + " of shape " + Arrays.toString(shape)
                    + " is not a multiple of " + type + "'s block size " + type.blockSize());
        }
        try {
            return type.bytesFor(elements);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("byte size of " + type + Arrays.toString(shape) + " overflows");
        }
    }

    /** Element type. */
    public DType type() {
        return type;
    }

    /** A copy of the shape; the last dimension is the row length. */
    public long[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Total number of elements. */
    public long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Row length (the last dimension). */
    public long cols() {
        return shape[shape.length - 1];
    }

    /** Number of rows: the product of all dimensions but the last. */
    public long rows() {
        return cols() == 0 ? 0 : elements() / cols();
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return type.bytesFor(cols());
    }

    /** The bytes of this tensor. */
    public MemorySegment data() {
        return data;
    }

    /** A view of row {@code r} as a one-dimensional tensor. */
    public Tensor row(long r) {
        if (r < 0 || r >= rows()) {
            throw new IndexOutOfBoundsException("row " + r + " of tensor with " + rows() + " rows");
        }
        long rb = rowBytes();
        return new Tensor(type, new long[] {cols()}, data.asSlice(r * rb, rb));
    }

    /** The same bytes under another shape with the same element count. */
    public Tensor reshape(long... newShape) {
        long[] s = newShape.clone();
        if (byteSize(type, s) != data.byteSize()) {
            throw new IllegalArgumentException("cannot reshape " + this + " to " + Arrays.toString(s));
        }
        return new Tensor(type, s, data);
    }

    @Override
    public String toString() {
        return type + Arrays.toString(shape);
    }
}
