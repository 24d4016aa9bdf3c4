package dev.jllm.core.quant.floats;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightFamily;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;

/** IEEE and brain floats: F32, F16, BF16. */
public final class FloatFamily implements WeightFamily {

    @Override
    public WeightKernel simd(DType type) {
        return null;
    }

    @Override
    public WeightKernel reference(DType type) {
        return null;
    }

    @Override
    public Quantizer quantizer(DType type) {
        return null;
    }
}
