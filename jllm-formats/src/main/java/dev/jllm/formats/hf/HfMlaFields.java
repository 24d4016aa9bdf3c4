package dev.jllm.formats.hf;

import dev.jllm.formats.FormatException;

/**
 * DeepSeek-V2/V3 multi-head latent attention widths of a {@code config.json}; each is null when absent.
 *
 * @param kvLoraRank rank of the compressed key/value projection
 * @param qLoraRank rank of the compressed query projection (null: queries are not compressed)
 * @param qkRopeHeadDim per-head width of the rotary part of queries and keys
 * @param qkNopeHeadDim per-head width of the non-rotary part
 * @param vHeadDim per-head width of values
 */
public record HfMlaFields(Integer kvLoraRank, Integer qLoraRank, Integer qkRopeHeadDim, Integer qkNopeHeadDim,
        Integer vHeadDim) {

    static HfMlaFields read(JsonFields f) throws FormatException {
        return new HfMlaFields(f.integer("kv_lora_rank"), f.integer("q_lora_rank"), f.integer("qk_rope_head_dim"),
                f.integer("qk_nope_head_dim"), f.integer("v_head_dim"));
    }
}
