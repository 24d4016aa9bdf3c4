package dev.jllm.model.load;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;

/**
 * A model's tensors looked up by their llama.cpp (GGUF) names, whatever file holds them: the bindings are
 * written once against these names, and each file format supplies the lookup.
 */
interface NamedTensors {
    /** Whether the model has tensor {@code name}. */
    boolean has(String name);

    /**
     * Tensor {@code name}, ready for the kernels.
     *
     * @throws FormatException naming the tensor (as its file names it) when it is missing or its type has no
     *     kernels
     */
    Tensor tensor(String name) throws FormatException;

    /** Tensor {@code name} dequantized to floats (norm weights, biases). */
    default float[] floats(String name) throws FormatException {
        Tensor t = tensor(name);
        float[] out = new float[Math.toIntExact(t.elements())];
        WeightKernels.simd(t.type()).dequantize(t.data(), 0, out, 0, out.length);
        return out;
    }

    /** As {@link #floats}, or null when the model has no such tensor. */
    default float[] optionalFloats(String name) throws FormatException {
        return has(name) ? floats(name) : null;
    }
}
