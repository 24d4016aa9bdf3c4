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
}
