package dev.jllm.model.decoder;

import dev.jllm.core.tensor.Tensor;
import java.util.List;

/**
 * All weights of a decoder-only model.
 *
 * @param tokenEmbedding vocab × dim
 * @param positionEmbedding contextLength × dim for learned positions (GPT-2), else null
 * @param layers the blocks, first to last
 * @param outputNorm weight of the final norm
 * @param outputNormBias its bias (LayerNorm models), or null
 * @param output the classifier, vocab × dim (the token embedding itself when tied)
 */
public record DecoderWeights(Tensor tokenEmbedding, Tensor positionEmbedding, List<LayerWeights> layers,
        float[] outputNorm, float[] outputNormBias, Tensor output) {
    /** Keeps an unmodifiable copy of the layer list. */
    public DecoderWeights {
        layers = List.copyOf(layers);
    }
}
