package dev.jllm.formats.hf;

import dev.jllm.formats.FormatException;

/**
 * The T5 names of the hyperparameters in a {@code config.json}; each is null when absent.
 *
 * @param dModel width ({@code d_model})
 * @param dFf feed-forward width ({@code d_ff})
 * @param dKv width of one head ({@code d_kv})
 * @param numLayers encoder blocks ({@code num_layers})
 * @param numDecoderLayers decoder blocks ({@code num_decoder_layers}; null means as many as the encoder)
 * @param numHeads heads ({@code num_heads})
 * @param relativeAttentionNumBuckets buckets of the relative position bias
 * @param relativeAttentionMaxDistance largest distance the buckets tell apart
 * @param feedForwardProj {@code relu} or {@code gated-gelu}
 * @param decoderStartTokenId first token fed to the decoder
 */
public record HfT5Fields(Integer dModel, Integer dFf, Integer dKv, Integer numLayers, Integer numDecoderLayers,
        Integer numHeads, Integer relativeAttentionNumBuckets, Integer relativeAttentionMaxDistance,
        String feedForwardProj, Integer decoderStartTokenId) {

    static HfT5Fields read(JsonFields f) throws FormatException {
        return new HfT5Fields(f.integer("d_model"), f.integer("d_ff"), f.integer("d_kv"), f.integer("num_layers"),
                f.integer("num_decoder_layers"), f.integer("num_heads"), f.integer("relative_attention_num_buckets"),
                f.integer("relative_attention_max_distance"), f.string("feed_forward_proj"),
                f.integer("decoder_start_token_id"));
    }
}
