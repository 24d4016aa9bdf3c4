package dev.jllm.core.quant.floats;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightFamily;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;

/** IEEE and brain floats: F32, F16, BF16. */
public final class FloatFamily implements WeightFamily {
    private static final WeightKernel F32_SIMD = new F32SimdKernel();
    private static final WeightKernel F16_SIMD = new F16SimdKernel();
    private static final WeightKernel BF16_SIMD = new Bf16SimdKernel();
    private static final WeightKernel F32_REFERENCE = new F32ReferenceKernel();
    private static final WeightKernel F16_REFERENCE = new F16ReferenceKernel();
    private static final WeightKernel BF16_REFERENCE = new Bf16ReferenceKernel();

    @Override
    public WeightKernel simd(DType type) {
        return switch (type) {
            case F32 -> F32_SIMD;
            case F16 -> F16_SIMD;
            case BF16 -> BF16_SIMD;
            default -> null;
        };
    }

    @Override
    public WeightKernel reference(DType type) {
        return switch (type) {
            case F32 -> F32_REFERENCE;
            case F16 -> F16_REFERENCE;
            case BF16 -> BF16_REFERENCE;
            default -> null;
        };
    }

    @Override
    public Quantizer quantizer(DType type) {
        return switch (type) {
            case F32, F16, BF16 -> new FloatQuantizer(type);
            default -> null;
        };
    }
}
