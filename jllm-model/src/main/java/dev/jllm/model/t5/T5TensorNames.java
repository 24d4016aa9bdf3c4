package dev.jllm.model.t5;

/**
 * The names of T5's tensors in the two layouts jllm reads: llama.cpp's GGUF names ({@code enc.blk.0.attn_q.weight})
 * and HF's {@code T5ForConditionalGeneration} names ({@code encoder.block.0.layer.0.SelfAttention.q.weight}).
 */
enum T5TensorNames {
    /** llama.cpp's {@code t5} architecture. */
    GGUF,
    /** Hugging Face's {@code T5ForConditionalGeneration}. */
    HF;

    /** A tensor of one block. */
    enum Role {
        ATTN_NORM, REL_BIAS, Q, K, V, O, CROSS_NORM, CROSS_Q, CROSS_K, CROSS_V, CROSS_O, FFN_NORM, GATE, UP, DOWN
    }

    /** A tensor outside the blocks. */
    enum Global {
        EMBEDDING, ENCODER_NORM, DECODER_NORM, OUTPUT
    }

    /**
     * The name of {@code role} in block {@code layer} of the encoder or decoder.
     *
     * @param gated whether the feed-forward network has a gate (HF then calls the up projection {@code wi_1})
     */
    String block(boolean decoder, int layer, Role role, boolean gated) {
        if (this == GGUF) {
            String p = (decoder ? "dec" : "enc") + ".blk." + layer + ".";
            return p + switch (role) {
                case ATTN_NORM -> "attn_norm";
                case REL_BIAS -> "attn_rel_b";
                case Q -> "attn_q";
                case K -> "attn_k";
                case V -> "attn_v";
                case O -> "attn_o";
                case CROSS_NORM -> "cross_attn_norm";
                case CROSS_Q -> "cross_attn_q";
                case CROSS_K -> "cross_attn_k";
                case CROSS_V -> "cross_attn_v";
                case CROSS_O -> "cross_attn_o";
                case FFN_NORM -> "ffn_norm";
                case GATE -> "ffn_gate";
                case UP -> "ffn_up";
                case DOWN -> "ffn_down";
            } + ".weight";
        }
        String p = (decoder ? "decoder" : "encoder") + ".block." + layer + ".layer.";
        String ffn = p + (decoder ? 2 : 1) + ".";
        return switch (role) {
            case ATTN_NORM -> p + "0.layer_norm";
            case REL_BIAS -> p + "0.SelfAttention.relative_attention_bias";
            case Q -> p + "0.SelfAttention.q";
            case K -> p + "0.SelfAttention.k";
            case V -> p + "0.SelfAttention.v";
            case O -> p + "0.SelfAttention.o";
            case CROSS_NORM -> p + "1.layer_norm";
            case CROSS_Q -> p + "1.EncDecAttention.q";
            case CROSS_K -> p + "1.EncDecAttention.k";
            case CROSS_V -> p + "1.EncDecAttention.v";
            case CROSS_O -> p + "1.EncDecAttention.o";
            case FFN_NORM -> ffn + "layer_norm";
            case GATE -> ffn + "DenseReluDense.wi_0";
            case UP -> ffn + (gated ? "DenseReluDense.wi_1" : "DenseReluDense.wi");
            case DOWN -> ffn + "DenseReluDense.wo";
        } + ".weight";
    }

    /** The name of a tensor outside the blocks. */
    String global(Global g) {
        if (this == GGUF) {
            return switch (g) {
                case EMBEDDING -> "token_embd.weight";
                case ENCODER_NORM -> "enc.output_norm.weight";
                case DECODER_NORM -> "dec.output_norm.weight";
                case OUTPUT -> "output.weight";
            };
        }
        return switch (g) {
            case EMBEDDING -> "shared.weight";
            case ENCODER_NORM -> "encoder.final_layer_norm.weight";
            case DECODER_NORM -> "decoder.final_layer_norm.weight";
            case OUTPUT -> "lm_head.weight";
        };
    }
}
