package dev.jllm.core.quant.nf4;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightFamily;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;

/**
 * QLoRA's 4-bit NormalFloat as the block type {@link DType#NF4}. The double-quantized form, which
 * is not a block type, is {@link Nf4DoubleQuantized}.
 */
public final class Nf4Family implements WeightFamily {
    private static final WeightKernel SIMD = new Nf4SimdKernel();
    private static final WeightKernel REFERENCE = new Nf4ReferenceKernel();
    private static final Quantizer QUANTIZER = new Nf4Quantizer();

    @Override
    public WeightKernel simd(DType type) {
        return type == DType.NF4 ? SIMD : null;
    }

    @Override
    public WeightKernel reference(DType type) {
        return type == DType.NF4 ? REFERENCE : null;
    }

    @Override
    public Quantizer quantizer(DType type) {
        return type == DType.NF4 ? QUANTIZER : null;
    }
}
