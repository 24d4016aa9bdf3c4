package dev.jllm.model.encoder;

import dev.jllm.core.tensor.Tensor;

/**
 * One post-LayerNorm encoder block's weights: attention, its output projection and LayerNorm, the
 * feed-forward and its LayerNorm. Matrices are output-major (rows × columns = out × in) as the kernels
 * read them; a null bias means the model has none.
 *
 * @param wq query projection, dim × dim
 * @param bq its bias
 * @param wk key projection, dim × dim
 * @param bk its bias
 * @param wv value projection, dim × dim
 * @param bv its bias
 * @param wo attention output projection, dim × dim
 * @param bo its bias
 * @param attentionNorm weight of the LayerNorm after the attention's residual sum
 * @param attentionNormBias its bias
 * @param wUp feed-forward up projection, ffnDim × dim
 * @param bUp its bias
 * @param wDown feed-forward down projection, dim × ffnDim
 * @param bDown its bias
 * @param outputNorm weight of the LayerNorm after the feed-forward's residual sum
 * @param outputNormBias its bias
 */
public record EncoderLayerWeights(Tensor wq, float[] bq, Tensor wk, float[] bk, Tensor wv, float[] bv, Tensor wo,
        float[] bo, float[] attentionNorm, float[] attentionNormBias, Tensor wUp, float[] bUp, Tensor wDown,
        float[] bDown, float[] outputNorm, float[] outputNormBias) {
}
