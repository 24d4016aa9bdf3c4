package dev.jllm.formats.quantize;

import dev.jllm.core.tensor.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides the type of each tensor of a model quantized to a {@link LlamaFileType}, following the rules
 * of llama.cpp's {@code llama_tensor_get_type} for dense models.
 *
 * <p>Only 2-D-or-more tensors whose names end in {@code weight} are quantized, and never norms,
 * position embeddings, BERT's token-type embeddings or T5's relative position biases: those keep their type. The output matrix (or
 * the token embedding when there is no output matrix, as it then serves as one) gets Q6_K unless the
 * file type is Q8_0 or its rows are not a multiple of 256 (then Q8_0). The _M recipes give Q6_K to
 * attn_v and ffn_down of the first and last eighth of the layers and every third layer between; the
 * _S recipe of Q4_K gives Q5_K to attn_v of the first four layers and ffn_down of the first eighth. Q3_K_M
 * gives Q4_K to attn_v, attn_output and ffn_down (Q5_K to attn_v of the first two layers and ffn_down of
 * the first sixteenth), Q3_K_L Q5_K to all three; Q2_K gives Q3_K to all three, but Q4_K to attn_v when
 * four or more query heads share each key/value head (attn_q's rows over attn_k's). A fused attn_qkv gets
 * one step more (Q4_K for Q3_K_M and Q3_K_L, Q5_K for Q4_K_M, Q6_K for Q5_K_M). A type whose block does
 * not divide the row length falls back: Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, Q2_K and Q3_K→Q4_0 (llama.cpp
 * takes IQ4_NL, of the same size and block, which jllm does not write), and to F16 if that does not fit.
 */
public final class TensorTypeChooser {
    private static final int QK_K = 256;

    /** A tensor as the chooser sees it. */
    public record TensorDescription(String name, DType type, long[] shape) {
    }

    private TensorTypeChooser() {
    }

    /**
     * The target type of each of {@code tensors} (in file order, which fixes the layer counters).
     *
     * @param pure when true every quantizable tensor gets the file type's weight type (llama-quantize's
     *     {@code --pure}), apart from the row-length fallback
     */
    public static List<DType> choose(List<TensorDescription> tensors, LlamaFileType fileType, boolean pure) {
        int attnV = 0;
        int ffnDown = 0;
        boolean hasOutput = false;
        long queryRows = 0;
        long keyRows = 0;
        for (TensorDescription t : tensors) {
            if (queryRows == 0 && t.name().endsWith("attn_q.weight")) {
                queryRows = t.shape()[0];
            } else if (keyRows == 0 && t.name().endsWith("attn_k.weight")) {
                keyRows = t.shape()[0];
            }
            if (t.name().contains("attn_v.weight") || t.name().contains("attn_qkv.weight")) {
                attnV++;
            } else if (t.name().contains("ffn_down")) {
                ffnDown++;
            }
            hasOutput |= t.name().equals("output.weight");
        }
        Counters c = new Counters(attnV, ffnDown, hasOutput, keyRows > 0 ? queryRows / keyRows : 1);
        List<DType> out = new ArrayList<>(tensors.size());
        for (TensorDescription t : tensors) {
            if (!quantizable(t)) {
                out.add(t.type());
                continue;
            }
            DType type = fileType.weightType();
            if (!pure && type.isQuantized()) {
                type = ruleType(t, fileType, type, c);
            }
            out.add(fitRow(type, t.shape()[t.shape().length - 1], t.name()));
        }
        return out;
    }

    /** Whether llama.cpp would quantize {@code t} at all. */
    static boolean quantizable(TensorDescription t) {
        String n = t.name();
        return n.endsWith("weight") && t.shape().length >= 2 && !n.contains("_norm.weight")
                && !n.equals("position_embd.weight") && !n.equals("token_types.weight") && !n.contains("attn_rel_b.weight");
    }

    private static final class Counters {
        final int nAttnV;
        final int nFfnDown;
        final boolean hasOutput;
        /** Query heads per key/value head (llama.cpp's n_gqa), from the first layer's attn_q and attn_k. */
        final long queriesPerKey;
        int iAttnV;
        int iFfnDown;

        Counters(int nAttnV, int nFfnDown, boolean hasOutput, long queriesPerKey) {
            this.nAttnV = nAttnV;
            this.nFfnDown = nFfnDown;
            this.hasOutput = hasOutput;
            this.queriesPerKey = queriesPerKey;
        }
    }

    /** llama.cpp's use_more_bits: first and last eighth, and every third layer between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    private static DType ruleType(TensorDescription t, LlamaFileType ft, DType type, Counters c) {
        String n = t.name();
        long rowLength = t.shape()[t.shape().length - 1];
        if (n.equals("output.weight") || (!c.hasOutput && n.equals("token_embd.weight"))) {
            if (rowLength % QK_K != 0) {
                return DType.Q8_0;
            }
            return type == DType.Q8_0 ? type : DType.Q6_K;
        }
        if (n.equals("token_embd.weight")) {
            return type;
        }
        if (n.contains("attn_v.weight")) {
            DType r = type;
            if (ft == LlamaFileType.MOSTLY_Q2_K) {
                r = c.queriesPerKey >= 4 ? DType.Q4_K : DType.Q3_K;
            } else if (ft == LlamaFileType.MOSTLY_Q3_K_M) {
                r = c.iAttnV < 2 ? DType.Q5_K : DType.Q4_K;
            } else if (ft == LlamaFileType.MOSTLY_Q3_K_L) {
                r = DType.Q5_K;
            } else if ((ft == LlamaFileType.MOSTLY_Q4_K_M || ft == LlamaFileType.MOSTLY_Q5_K_M)
                    && useMoreBits(c.iAttnV, c.nAttnV)) {
                r = DType.Q6_K;
            } else if (ft == LlamaFileType.MOSTLY_Q4_K_S && c.iAttnV < 4) {
                r = DType.Q5_K;
            }
            c.iAttnV++;
            return r;
        }
        if (n.contains("ffn_down")) {
            int layer = c.iFfnDown++;
            if (ft == LlamaFileType.MOSTLY_Q2_K) {
                return DType.Q3_K;
            }
            if (ft == LlamaFileType.MOSTLY_Q3_K_M) {
                return layer < c.nFfnDown / 16 ? DType.Q5_K : DType.Q4_K;
            }
            if (ft == LlamaFileType.MOSTLY_Q3_K_L) {
                return DType.Q5_K;
            }
            if ((ft == LlamaFileType.MOSTLY_Q4_K_M || ft == LlamaFileType.MOSTLY_Q5_K_M) && useMoreBits(layer, c.nFfnDown)) {
                return DType.Q6_K;
            }
            if (ft == LlamaFileType.MOSTLY_Q4_K_S && layer < c.nFfnDown / 8) {
                return DType.Q5_K;
            }
            return type;
        }
        if (n.contains("attn_output.weight")) {
            if (ft == LlamaFileType.MOSTLY_Q2_K) {
                return DType.Q3_K;
            }
            if (ft == LlamaFileType.MOSTLY_Q3_K_M) {
                return DType.Q4_K;
            }
            if (ft == LlamaFileType.MOSTLY_Q3_K_L) {
                return DType.Q5_K;
            }
        }
        if (n.contains("attn_qkv.weight")) {
            if (ft == LlamaFileType.MOSTLY_Q3_K_M || ft == LlamaFileType.MOSTLY_Q3_K_L) {
                return DType.Q4_K;
            }
            if (ft == LlamaFileType.MOSTLY_Q4_K_M) {
                return DType.Q5_K;
            }
            if (ft == LlamaFileType.MOSTLY_Q5_K_M) {
                return DType.Q6_K;
            }
        }
        return type;
    }

    /** llama.cpp's fallback for rows that do not hold a whole number of blocks of {@code type}. */
    static DType fitRow(DType type, long rowLength, String name) {
        if (rowLength % type.blockSize() == 0) {
            return type;
        }
        DType fallback = switch (type) {
            case Q4_K -> DType.Q5_0;
            case Q5_K -> DType.Q5_1;
            case Q6_K -> DType.Q8_0;
            case Q2_K, Q3_K -> DType.Q4_0;
            default -> throw new IllegalArgumentException("tensor \"" + name + "\": rows of " + rowLength
                    + " elements are not a multiple of " + type + "'s block of " + type.blockSize());
        };
        return rowLength % fallback.blockSize() == 0 ? fallback : DType.F16;
    }
}
