package dev.jllm.formats.init;

/**
 * One tensor of a randomly initialised model.
 *
 * @param name the GGUF tensor name (llama.cpp's)
 * @param shape row-major shape, the last dimension being the row
 * @param init how its values are drawn
 */
public record TensorSpec(String name, long[] shape, Init init) {

    /** How a tensor is initialised. */
    public enum Init {
        /** Normal with mean 0 and standard deviation 0.02. */
        NORMAL,
        /** All ones (norm weights). */
        ONES,
        /** All zeros (biases). */
        ZEROS
    }

    /** Copies the shape. */
    public TensorSpec {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Elements in a row (the last dimension). */
    public long rowLength() {
        return shape[shape.length - 1];
    }

    /** Number of rows: the product of the other dimensions. */
    public long rows() {
        long n = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            n *= shape[i];
        }
        return n;
    }
}
