package dev.jllm.core.quant;

import dev.jllm.core.tensor.DType;

/** A group of weight types implemented together (floats, GGML's 32-blocks, K-quants, NF4). */
public interface WeightFamily {

    /** SIMD kernels for {@code type}, or null if this family does not implement it. */
    WeightKernel simd(DType type);

    /** Scalar reference kernels for {@code type}, or null if this family does not implement it. */
    WeightKernel reference(DType type);

    /** The quantizer that writes {@code type}, or null if this family does not write it. */
    Quantizer quantizer(DType type);
}
