package dev.jllm.model;

import java.util.Objects;

/**
 * The shape and options of a decoder-only Transformer: one record describes Llama 2/3, Mistral,
 * Qwen2/2.5, Qwen3 and GPT-2, which differ only in these options.
 *
 * @param architecture the family's name as GGUF writes it ({@code llama}, {@code qwen2}, {@code qwen3}, {@code gpt2})
 * @param vocabSize rows of the token embedding
 * @param dim width of the residual stream
 * @param layers number of blocks
 * @param heads query heads
 * @param kvHeads key/value heads (fewer than {@code heads} for grouped-query attention, 1 for MQA)
 * @param headDim width of one head (usually dim / heads; Qwen3 sets it on its own)
 * @param ffnDim hidden width of the MLP
 * @param contextLength the longest context the model was trained for
 * @param norm RMSNorm or LayerNorm
 * @param normEps epsilon of the norms
 * @param positions how positions enter: rotary (adjacent pairs or halves) or learned
 * @param rotaryDim dimensions of each head that are rotated (≤ headDim; 0 for learned positions)
 * @param ropeTheta the RoPE base
 * @param ropeScaling frequency scaling of RoPE
 * @param mlp gated SiLU (SwiGLU) or plain GELU
 * @param qkNorm whether q and k get an RMSNorm per head before RoPE (Qwen3)
 * @param slidingWindow attention span in tokens for sliding-window attention (Mistral), 0 for full attention
 */
public record ModelConfig(String architecture, int vocabSize, int dim, int layers, int heads, int kvHeads, int headDim,
        int ffnDim, int contextLength, Norm norm, float normEps, Positions positions, int rotaryDim, double ropeTheta,
        RopeScaling ropeScaling, Mlp mlp, boolean qkNorm, int slidingWindow) {

    /** How activations are normalised. */
    public enum Norm {
        /** Root-mean-square norm with a weight. */
        RMS,
        /** LayerNorm with a weight and a bias. */
        LAYER
    }

    /** How positions are encoded. */
    public enum Positions {
        /** RoPE rotating adjacent pairs (x0, x1), (x2, x3)… as Meta's and llama.cpp's Llama files lay out q and k. */
        ROPE_ADJACENT,
        /** RoPE rotating (x_i, x_{i+d/2}), as HF checkpoints and NeoX-style models (Qwen) lay them out. */
        ROPE_HALVES,
        /** A learned position embedding added to the token embedding (GPT-2). */
        LEARNED
    }

    /** The feed-forward block. */
    public enum Mlp {
        /** down(silu(gate(x)) · up(x)). */
        GATED_SILU,
        /** down(gelu(up(x))) with the tanh approximation, as GPT-2. */
        GELU
    }

    /** Checks that the numbers describe a model that can be built. */
    public ModelConfig {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(norm, "norm");
        Objects.requireNonNull(positions, "positions");
        Objects.requireNonNull(ropeScaling, "ropeScaling");
        Objects.requireNonNull(mlp, "mlp");
        positive("vocab size", vocabSize);
        positive("embedding width", dim);
        positive("block count", layers);
        positive("head count", heads);
        positive("key/value head count", kvHeads);
        positive("head width", headDim);
        positive("feed-forward width", ffnDim);
        positive("context length", contextLength);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("head count " + heads + " is not a multiple of the key/value head count "
                    + kvHeads);
        }
        if (!(normEps > 0) || !Float.isFinite(normEps)) {
            throw new IllegalArgumentException("norm epsilon must be positive, got " + normEps);
        }
        if (positions == Positions.LEARNED) {
            if (rotaryDim != 0) {
                throw new IllegalArgumentException("learned positions take no rotary dimensions, got " + rotaryDim);
            }
        } else {
            if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0) {
                throw new IllegalArgumentException("rotary dimensions must be even and in 1.." + headDim + ", got "
                        + rotaryDim);
            }
            if (!(ropeTheta > 1)) {
                throw new IllegalArgumentException("RoPE base must be greater than 1, got " + ropeTheta);
            }
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding window must not be negative, got " + slidingWindow);
        }
    }

    /** Width of all query heads together. */
    public int queryDim() {
        return heads * headDim;
    }

    /** Width of all key (or value) heads together. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Whether positions are rotary. */
    public boolean usesRope() {
        return positions != Positions.LEARNED;
    }

    private static void positive(String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }
}
