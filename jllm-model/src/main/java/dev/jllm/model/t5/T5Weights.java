package dev.jllm.model.t5;

import dev.jllm.core.tensor.Tensor;
import java.util.List;

/**
 * The weights of a T5 encoder-decoder, bound as views into a mapped file (small vectors copied as floats).
 *
 * @param tokenEmbedding the embedding shared by encoder and decoder, {@code [vocab, dim]}
 * @param encoderBias the encoder's relative position bias, {@code [buckets, heads]} row-major (from its first block)
 * @param encoder the encoder blocks
 * @param encoderNorm the encoder's final RMS weight
 * @param decoderBias the decoder's relative position bias, {@code [buckets, heads]}
 * @param decoder the decoder blocks
 * @param decoderNorm the decoder's final RMS weight
 * @param output the LM head, {@code [vocab, dim]}: the token embedding itself when tied
 */
public record T5Weights(Tensor tokenEmbedding, float[] encoderBias, List<T5Block> encoder, float[] encoderNorm,
        float[] decoderBias, List<T5Block> decoder, float[] decoderNorm, Tensor output) {
}
