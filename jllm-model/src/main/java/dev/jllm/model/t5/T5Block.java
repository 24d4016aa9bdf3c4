package dev.jllm.model.t5;

import dev.jllm.core.tensor.Tensor;

/**
 * The weights of one T5 block. Encoder blocks have no cross-attention (its fields are null); a ReLU
 * block has no gate. Matrices are {@code [out, in]}, as in GGUF and HF files.
 *
 * @param attnNorm RMS weight before self-attention
 * @param wq query projection
 * @param wk key projection
 * @param wv value projection
 * @param wo self-attention output projection
 * @param crossNorm RMS weight before cross-attention (decoder only)
 * @param cq cross-attention query projection (decoder only)
 * @param ck cross-attention key projection over the encoder output (decoder only)
 * @param cv cross-attention value projection over the encoder output (decoder only)
 * @param co cross-attention output projection (decoder only)
 * @param ffnNorm RMS weight before the feed-forward network
 * @param gate {@code wi_0} of the gated-GELU network, null for ReLU
 * @param up {@code wi} (ReLU) or {@code wi_1} (gated)
 * @param down {@code wo} of the feed-forward network
 */
public record T5Block(float[] attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, float[] crossNorm, Tensor cq,
        Tensor ck, Tensor cv, Tensor co, float[] ffnNorm, Tensor gate, Tensor up, Tensor down) {
}
