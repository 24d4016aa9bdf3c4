package dev.jllm.model.encoder;

import dev.jllm.core.tensor.Tensor;
import java.util.List;

/**
 * All weights of a BERT-family encoder. Tables and matrices are views into the model file, in its
 * types; norms and biases are small and held as floats.
 *
 * @param wordEmbedding vocab × dim
 * @param positionEmbedding maxPositions × dim
 * @param tokenTypeEmbedding typeVocab × dim, or null when the model has none
 * @param embeddingNorm weight of the LayerNorm after the embeddings
 * @param embeddingNormBias its bias
 * @param layers the blocks, first to last
 */
public record EncoderWeights(Tensor wordEmbedding, Tensor positionEmbedding, Tensor tokenTypeEmbedding,
        float[] embeddingNorm, float[] embeddingNormBias, List<EncoderLayerWeights> layers) {
    /** Keeps an unmodifiable copy of the layer list. */
    public EncoderWeights {
        layers = List.copyOf(layers);
    }
}
