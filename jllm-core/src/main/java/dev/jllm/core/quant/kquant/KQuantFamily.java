package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightFamily;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;

/** GGML's K-quants on super-blocks of 256: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (and Q8_K activations). */
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
