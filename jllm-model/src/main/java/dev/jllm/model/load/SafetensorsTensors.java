package dev.jllm.model.load;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.safetensors.SafetensorsModel;

/** Reads of an HF folder's safetensors tensors for the bindings, each failure naming the tensor. */
final class SafetensorsTensors {
    private SafetensorsTensors() {
    }

    /** The mapped tensor {@code name}, refused when it is missing or its type has no kernels. */
    static Tensor tensor(SafetensorsModel m, String name) throws FormatException {
        if (m.findTensor(name).isEmpty()) {
            throw new FormatException(m.files().get(0).path(), -1, name, "tensor is missing");
        }
        Tensor t = m.tensor(name);
        try {
            WeightKernels.simd(t.type());
        } catch (IllegalArgumentException e) {
            throw new FormatException(m.fileOf(name).map(f -> f.path()).orElse(null), -1, name,
                    "tensor type " + t.type() + " has no kernels in jllm");
        }
        return t;
    }

    /** Tensor {@code name} dequantized to floats (norm weights, biases). */
    static float[] floats(SafetensorsModel m, String name) throws FormatException {
        Tensor t = tensor(m, name);
        float[] out = new float[Math.toIntExact(t.elements())];
        WeightKernels.simd(t.type()).dequantize(t.data(), 0, out, 0, out.length);
        return out;
    }

    /** As {@link #floats}, or null when the folder has no such tensor. */
    static float[] optionalFloats(SafetensorsModel m, String name) throws FormatException {
        return m.findTensor(name).isPresent() ? floats(m, name) : null;
    }
}
