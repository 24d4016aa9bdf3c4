package dev.jllm.formats.onnx;

import java.util.Arrays;

/** A growable array of floats, for repeated protobuf floats. */
final class FloatList {
    private float[] values = new float[8];
    private int size;

    void add(float v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = v;
    }

    int size() {
        return size;
    }

    float[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
