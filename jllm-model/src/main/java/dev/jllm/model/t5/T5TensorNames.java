package dev.jllm.model.t5;

/**
 * The names of T5's tensors as llama.cpp's {@code t5} architecture writes them ({@code enc.blk.0.attn_q.weight});
 * an HF folder's are found through the converters' HF↔GGUF table (see {@code LoadedT5}).
 */
final class T5TensorNames {
    private T5TensorNames() {
    }

    /** A tensor of one block. */
    enum Role {
        ATTN_NORM, REL_BIAS, Q, K, V, O, CROSS_NORM, CROSS_Q, CROSS_K, CROSS_V, CROSS_O, FFN_NORM, GATE, UP, DOWN
    }

    /** A tensor outside the blocks. */
    enum Global {
        EMBEDDING, ENCODER_NORM, DECODER_NORM, OUTPUT
    }

    /** The name of {@code role} in block {@code layer} of the encoder or decoder. */
    static String block(boolean decoder, int layer, Role role) {
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

    /** The name of a tensor outside the blocks. */
    static String global(Global g) {
        return switch (g) {
            case EMBEDDING -> "token_embd.weight";
            case ENCODER_NORM -> "enc.output_norm.weight";
            case DECODER_NORM -> "dec.output_norm.weight";
            case OUTPUT -> "output.weight";
        };
    }
}
