package dev.jllm.core.quant.legacy;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightFamily;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;

/**
 * GGML's blocks of 32: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, with GGML's byte layouts (ggml-common.h).
 *
 * <p>Every SIMD kernel has both dot products: against F32 activations and, as llama.cpp's
 * {@code ggml_vec_dot_*}, against Q8_0 activations (Q8_1 for the types with a minimum). Measured
 * single-threaded on AVX-512, the F32 one is the faster for all five, about three times over
 * (the Vector API has no int8 dot-product instruction, so the 8-bit path pays to widen the
 * activations too, while the F32 path turns 4- and 5-bit codes into scaled weights with one
 * permute per 16), so {@link WeightKernel#activationType()} is null and callers use
 * {@link WeightKernel#dot}; the quantized dot stays available and tested.
 */
public final class LegacyFamily implements WeightFamily {

    @Override
    public WeightKernel simd(DType type) {
        return switch (type) {
            case Q8_0 -> new Q8_0Kernel(null);
            case Q4_0 -> new Q4_0Kernel(null);
            case Q4_1 -> new Q4_1Kernel(null);
            case Q5_0 -> new Q5_0Kernel(null);
            case Q5_1 -> new Q5_1Kernel(null);
            default -> null;
        };
    }

    @Override
    public WeightKernel reference(DType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> new LegacyReferenceKernel(type, null);
            default -> null;
        };
    }

    @Override
    public Quantizer quantizer(DType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> new LegacyQuantizer(type);
            default -> null;
        };
    }
}
