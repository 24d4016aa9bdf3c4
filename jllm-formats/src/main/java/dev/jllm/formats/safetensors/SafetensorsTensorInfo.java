package dev.jllm.formats.safetensors;

import java.util.Arrays;

/**
 * One tensor of a safetensors header.
 *
 * @param name the tensor's name
 * @param dtype its element type
 * @param shape its row-major shape (empty for a scalar)
 * @param begin offset of its first byte from the start of the data buffer
 * @param end offset just past its last byte
 */
public record SafetensorsTensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {

    /** Copies the shape so the record stays unchanged. */
    public SafetensorsTensorInfo {
        shape = shape.clone();
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Bytes the tensor occupies. */
    public long byteSize() {
        return end - begin;
    }

    /** Number of elements. */
    public long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsTensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
