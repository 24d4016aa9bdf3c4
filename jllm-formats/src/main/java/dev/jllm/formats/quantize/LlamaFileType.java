package dev.jllm.formats.quantize;

import dev.jllm.core.tensor.DType;
import java.util.Locale;

/**
 * The file types of llama.cpp's {@code llama_ftype} enum that jllm writes, with the number stored in
 * {@code general.file_type} and the default type of the quantized weights.
 */
public enum LlamaFileType {
    /** Every tensor F32. */
    ALL_F32(0, DType.F32),
    /** Weights F16. */
    MOSTLY_F16(1, DType.F16),
    /** Weights Q4_0. */
    MOSTLY_Q4_0(2, DType.Q4_0),
    /** Weights Q4_1. */
    MOSTLY_Q4_1(3, DType.Q4_1),
    /** Weights Q8_0. */
    MOSTLY_Q8_0(7, DType.Q8_0),
    /** Weights Q5_0. */
    MOSTLY_Q5_0(8, DType.Q5_0),
    /** Weights Q5_1. */
    MOSTLY_Q5_1(9, DType.Q5_1),
    /**
     * Weights Q2_K, with attn_v (Q4_K when four or more query heads share a key/value head), attn_output and ffn_down
     * Q3_K.
     */
    MOSTLY_Q2_K(10, DType.Q2_K),
    /** Weights Q3_K ("small": all of them). */
    MOSTLY_Q3_K_S(11, DType.Q3_K),
    /** Weights Q3_K, with attn_v, attn_output and ffn_down Q4_K (the first layers' Q5_K). */
    MOSTLY_Q3_K_M(12, DType.Q3_K),
    /** Weights Q3_K, with attn_v, attn_output and ffn_down Q5_K. */
    MOSTLY_Q3_K_L(13, DType.Q3_K),
    /** Weights Q4_K ("small": a few tensors Q5_K). */
    MOSTLY_Q4_K_S(14, DType.Q4_K),
    /** Weights Q4_K, with attn_v/ffn_down of some layers Q6_K. */
    MOSTLY_Q4_K_M(15, DType.Q4_K),
    /** Weights Q5_K. */
    MOSTLY_Q5_K_S(16, DType.Q5_K),
    /** Weights Q5_K, with attn_v/ffn_down of some layers Q6_K. */
    MOSTLY_Q5_K_M(17, DType.Q5_K),
    /** Weights Q6_K. */
    MOSTLY_Q6_K(18, DType.Q6_K),
    /** Weights BF16. */
    MOSTLY_BF16(32, DType.BF16);

    private final int id;
    private final DType weightType;

    LlamaFileType(int id, DType weightType) {
        this.id = id;
        this.weightType = weightType;
    }

    /** The value of {@code general.file_type} (llama.cpp's {@code LLAMA_FTYPE_*}). */
    public int id() {
        return id;
    }

    /** The type most weight matrices get. */
    public DType weightType() {
        return weightType;
    }

    /** The short name users type: Q4_K_M, Q8_0, F16… */
    public String displayName() {
        return name().replace("MOSTLY_", "").replace("ALL_", "");
    }

    /**
     * The file type named {@code name} (case-insensitive): a recipe (Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_M, Q5_K_M,
     * Q4_K_S, Q5_K_S) or a plain type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q6_K); Q3_K, Q4_K and Q5_K
     * mean the _M recipes, as in llama-quantize.
     *
     * @throws IllegalArgumentException for an unknown name, and for NF4, which GGUF cannot hold
     */
    public static LlamaFileType parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.equals("NF4")) {
            throw new IllegalArgumentException("NF4 is not a GGML type: a GGUF file holding it would not load in llama.cpp, "
                    + "so jllm does not write it (choose Q4_K_M, Q4_K or Q4_0 for 4-bit GGUF)");
        }
        String key = switch (n) {
            case "Q3_K" -> "Q3_K_M";
            case "Q4_K" -> "Q4_K_M";
            case "Q5_K" -> "Q5_K_M";
            default -> n;
        };
        for (LlamaFileType t : values()) {
            if (t.displayName().equals(key)) {
                return t;
            }
        }
        StringBuilder known = new StringBuilder();
        for (LlamaFileType t : values()) {
            known.append(known.isEmpty() ? "" : ", ").append(t.displayName());
        }
        throw new IllegalArgumentException("unknown quantization type \"" + name + "\"; known: " + known + ", Q3_K, Q4_K, Q5_K");
    }

    /** The file type with {@code general.file_type} {@code id}, or null. */
    public static LlamaFileType fromId(long id) {
        for (LlamaFileType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}
