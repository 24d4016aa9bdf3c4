package dev.jllm.model.decoder;

import dev.jllm.core.tensor.Tensor;

/**
 * One Transformer block's weights. Matrices are views into the model file, in its types; norms and
 * biases are small and held as floats. A null bias or norm means the model has none.
 *
 * @param attnNorm weight of the norm before attention
 * @param attnNormBias its bias (LayerNorm models)
 * @param wq query projection, queryDim × dim
 * @param wk key projection, kvDim × dim
 * @param wv value projection, kvDim × dim
 * @param bq query bias (Qwen2, GPT-2)
 * @param bk key bias
 * @param bv value bias
 * @param qNorm per-head RMSNorm weight of the queries (Qwen3), headDim values
 * @param kNorm per-head RMSNorm weight of the keys (Qwen3)
 * @param wo output projection, dim × queryDim
 * @param bo its bias (GPT-2)
 * @param ffnNorm weight of the norm before the MLP
 * @param ffnNormBias its bias
 * @param wGate gate projection of a gated MLP, ffnDim × dim, or null
 * @param wUp up projection, ffnDim × dim
 * @param bUp its bias (GPT-2)
 * @param wDown down projection, dim × ffnDim
 * @param bDown its bias (GPT-2)
 */
public record LayerWeights(float[] attnNorm, float[] attnNormBias, Tensor wq, Tensor wk, Tensor wv, float[] bq,
        float[] bk, float[] bv, float[] qNorm, float[] kNorm, Tensor wo, float[] bo, float[] ffnNorm,
        float[] ffnNormBias, Tensor wGate, Tensor wUp, float[] bUp, Tensor wDown, float[] bDown) {
}
