package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightFamily;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;

/**
 * GGML's K-quants on super-blocks of 256: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, in GGML's byte layouts.
 *
 * <p>The scalar reference kernels offer both products: with F32 activations, and with Q8_K
 * activations computed as GGML's scalar vec_dot_q*_K_q8_K. The SIMD kernels take F32
 * activations ({@link WeightKernel#activationType()} is null): the Vector API has no byte
 * dot-product instruction (x86's vpmaddubsw/vpdpbusd), and a Q8_K integer variant of Q4_K built
 * from widening conversions and int multiplies measured slower than rebuilding the weights as
 * floats and using FMAs.
 *
 * <p>Quantizers follow GGML's reference quantizers without importance and its importance-weighted
 * ones (quantize_q*_K with an importance matrix) otherwise.
 */
public final class KQuantFamily implements WeightFamily {

    @Override
    public WeightKernel simd(DType type) {
        return switch (type) {
            case Q2_K -> new Q2KVectorKernel();
            case Q3_K -> new Q3KVectorKernel();
            case Q4_K -> new Q4KVectorKernel();
            case Q5_K -> new Q5KVectorKernel();
            case Q6_K -> new Q6KVectorKernel();
            default -> null;
        };
    }

    @Override
    public WeightKernel reference(DType type) {
        return switch (type) {
            case Q2_K -> new Q2KScalarKernel();
            case Q3_K -> new Q3KScalarKernel();
            case Q4_K -> new Q4KScalarKernel();
            case Q5_K -> new Q5KScalarKernel();
            case Q6_K -> new Q6KScalarKernel();
            default -> null;
        };
    }

    @Override
    public Quantizer quantizer(DType type) {
        return switch (type) {
            case Q2_K -> new Q2KQuantizer();
            case Q3_K -> new Q3KQuantizer();
            case Q4_K, Q5_K -> new ScaleMinQuantizer(type);
            case Q6_K -> new Q6KQuantizer();
            default -> null;
        };
    }
}
