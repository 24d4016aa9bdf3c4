package dev.jllm.model.load;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.convert.TensorNaming;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.safetensors.SafetensorsTensorInfo;
import java.util.HashMap;
import java.util.Map;

/**
 * An HF folder's safetensors tensors under their GGUF names, paired by {@link TensorNaming} (the table the
 * converters use). Matrices stored input-major (GPT-2's Conv1D) are transposed into memory as they are asked for,
 * the one copy an HF folder costs.
 */
final class HfNamedTensors implements NamedTensors {
    private final SafetensorsModel model;
    private final String arch;
    private final Map<String, String> hfNameOf = new HashMap<>();

    /** The tensors of {@code model}, a checkpoint of GGUF architecture {@code arch}. */
    HfNamedTensors(SafetensorsModel model, String arch) {
        this.model = model;
        this.arch = arch;
        for (SafetensorsTensorInfo t : model.tensors()) {
            String gguf = TensorNaming.toGguf(arch, t.name());
            if (gguf != null) {
                hfNameOf.putIfAbsent(gguf, t.name());
            }
        }
    }

    @Override
    public boolean has(String name) {
        return hfNameOf.containsKey(name);
    }

    @Override
    public Tensor tensor(String name) throws FormatException {
        String hf = hfNameOf.get(name);
        if (hf == null) {
            String expected = TensorNaming.toHf(arch, name, true);
            throw new FormatException(model.files().get(0).path(), -1, expected != null ? expected : name,
                    "tensor is missing");
        }
        Tensor t = SafetensorsTensors.tensor(model, hf);
        return TensorNaming.transposed(arch, name) ? transposed(t) : t;
    }

    /** An input-major matrix as the output-major F32 matrix the kernels expect: a copy. */
    private static Tensor transposed(Tensor t) {
        int in = Math.toIntExact(t.rows());
        int out = Math.toIntExact(t.cols());
        float[] src = new float[in * out];
        WeightKernels.simd(t.type()).dequantize(t.data(), 0, src, 0, src.length);
        float[] dst = new float[in * out];
        for (int r = 0; r < in; r++) {
            for (int col = 0; col < out; col++) {
                dst[col * in + r] = src[r * out + col];
            }
        }
        return Tensor.ofFloats(dst, out, in);
    }
}
