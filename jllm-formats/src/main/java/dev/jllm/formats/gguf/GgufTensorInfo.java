package dev.jllm.formats.gguf;

import dev.jllm.core.tensor.DType;

/**
 * One entry of a GGUF file's tensor table.
 *
 * @param name the tensor's name
 * @param ggmlType its GGML type, which jllm may have no kernels for
 * @param dims its dimensions in GGUF order: {@code dims[0]} varies fastest (the row length)
 * @param offset offset of its bytes from the start of the data section
 * @param byteSize bytes it occupies
 */
public record GgufTensorInfo(String name, GgmlType ggmlType, long[] dims, long offset, long byteSize) {

    /** Copies the dimensions so the record stays unchanged. */
    public GgufTensorInfo {
        dims = dims.clone();
    }

    /**
     * jllm's element type of the tensor.
     *
     * @throws IllegalArgumentException naming the tensor when jllm has no kernels for its type (IQ2_XXS, I32, …)
     */
    public DType type() {
        DType t = ggmlType.dtype();
        if (t == null) {
            throw new IllegalArgumentException("tensor \"" + name + "\" has type " + ggmlType
                    + ", which jllm lists but cannot compute with");
        }
        return t;
    }

    /** Whether jllm has kernels for the tensor's type (then {@link #type()} returns it). */
    public boolean hasKernels() {
        return ggmlType.dtype() != null;
    }

    /** A copy of the dimensions in GGUF order ({@code dims[0]} is the row length). */
    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** The row-major shape a {@link dev.jllm.core.tensor.Tensor} uses: the dimensions reversed. */
    public long[] shape() {
        long[] s = new long[dims.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = dims[dims.length - 1 - i];
        }
        return s;
    }

    /** Number of elements. */
    public long elements() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && ggmlType == t.ggmlType
                && java.util.Arrays.equals(dims, t.dims) && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + java.util.Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + " " + ggmlType + java.util.Arrays.toString(shape()) + " @" + offset;
    }
}
