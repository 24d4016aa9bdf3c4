package dev.jllm.core.quant.nf4;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightFamily;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;

/** QLoRA's 4-bit NormalFloat, plain and double-quantized. */
public final class Nf4Family implements WeightFamily {

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
