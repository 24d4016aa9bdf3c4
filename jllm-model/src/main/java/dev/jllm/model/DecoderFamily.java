package dev.jllm.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The decoder families jllm runs, each a set of {@link ModelConfig} options. Names are those of
 * GGUF's {@code general.architecture}; HF {@code model_type}s map onto them.
 */
public enum DecoderFamily {
    /** Llama 2/3.x and Mistral: RMSNorm, RoPE on adjacent pairs (in GGUF), SwiGLU. */
    LLAMA("llama", ModelConfig.Norm.RMS, ModelConfig.Positions.ROPE_ADJACENT, ModelConfig.Mlp.GATED_SILU, false),
    /** Qwen2/2.5: llama with q/k/v biases and RoPE on halves. */
    QWEN2("qwen2", ModelConfig.Norm.RMS, ModelConfig.Positions.ROPE_HALVES, ModelConfig.Mlp.GATED_SILU, false),
    /** Qwen3: llama with per-head RMSNorm on q and k and RoPE on halves. */
    QWEN3("qwen3", ModelConfig.Norm.RMS, ModelConfig.Positions.ROPE_HALVES, ModelConfig.Mlp.GATED_SILU, true),
    /** GPT-2: LayerNorm, learned positions, GELU MLP, biases everywhere. */
    GPT2("gpt2", ModelConfig.Norm.LAYER, ModelConfig.Positions.LEARNED, ModelConfig.Mlp.GELU, false);

    private final String ggufName;
    private final ModelConfig.Norm norm;
    private final ModelConfig.Positions positions;
    private final ModelConfig.Mlp mlp;
    private final boolean qkNorm;

    DecoderFamily(String ggufName, ModelConfig.Norm norm, ModelConfig.Positions positions, ModelConfig.Mlp mlp,
            boolean qkNorm) {
        this.ggufName = ggufName;
        this.norm = norm;
        this.positions = positions;
        this.mlp = mlp;
        this.qkNorm = qkNorm;
    }

    /** The family's {@code general.architecture}. */
    public String ggufName() {
        return ggufName;
    }

    /** Its norm. */
    public ModelConfig.Norm norm() {
        return norm;
    }

    /** How its GGUF files encode positions. */
    public ModelConfig.Positions positions() {
        return positions;
    }

    /** Its MLP. */
    public ModelConfig.Mlp mlp() {
        return mlp;
    }

    /** Whether q and k are normalised per head. */
    public boolean qkNorm() {
        return qkNorm;
    }

    /** The family of a GGUF {@code general.architecture} or an HF {@code model_type}. */
    public static Optional<DecoderFamily> of(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("mistral")) {
            return Optional.of(LLAMA);
        }
        return Arrays.stream(values()).filter(f -> f.ggufName.equals(n)).findFirst();
    }

    /** The names {@link #of} accepts, for error messages. */
    public static String supportedNames() {
        return Arrays.stream(values()).map(f -> f.ggufName).collect(Collectors.joining(", ")) + ", mistral";
    }
}
