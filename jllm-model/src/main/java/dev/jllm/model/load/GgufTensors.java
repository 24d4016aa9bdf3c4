package dev.jllm.model.load;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;

/** Reads of a GGUF file's tensors and counts for the bindings, each failure naming the tensor or key. */
final class GgufTensors {
    private GgufTensors() {
    }

    /** The mapped tensor {@code name}, refused when it is missing or its type has no kernels. */
    static Tensor tensor(GgufFile file, String name) throws FormatException {
        GgufTensorInfo info = file.findTensor(name).orElseThrow(() ->
                new FormatException(file.path(), -1, name, "tensor is missing"));
        boolean kernels = info.hasKernels();
        if (kernels) {
            try {
                WeightKernels.simd(info.type());
            } catch (IllegalArgumentException e) {
                kernels = false;
            }
        }
        if (!kernels) {
            throw new FormatException(file.path(), info.offset(), name, "tensor type " + info.ggmlType()
                    + " has no kernels in jllm");
        }
        return file.tensor(name);
    }

    /** Tensor {@code name} dequantized to floats (norm weights, biases). */
    static float[] floats(GgufFile file, String name) throws FormatException {
        Tensor t = tensor(file, name);
        if (t.elements() > Integer.MAX_VALUE) {
            throw new FormatException(file.path(), -1, name, "is too large for a vector");
        }
        float[] out = new float[(int) t.elements()];
        WeightKernels.simd(t.type()).dequantize(t.data(), 0, out, 0, out.length);
        return out;
    }

    /** As {@link #floats}, or null when the file has no such tensor. */
    static float[] optionalFloats(GgufFile file, String name) throws FormatException {
        return file.findTensor(name).isPresent() ? floats(file, name) : null;
    }

    /** A positive 32-bit count stored under {@code key}. */
    static int intKey(GgufFile file, String key) throws FormatException {
        long v = file.getLong(key);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new FormatException(file.path(), -1, key, "must be a positive 32-bit count, got " + v);
        }
        return (int) v;
    }

    /** The file's tensors as {@link NamedTensors}, views into the mapped file. */
    static NamedTensors named(GgufFile file) {
        return new NamedTensors() {
            @Override
            public boolean has(String name) {
                return file.findTensor(name).isPresent();
            }

            @Override
            public Tensor tensor(String name) throws FormatException {
                return GgufTensors.tensor(file, name);
            }
        };
    }
}
