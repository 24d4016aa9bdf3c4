package dev.jllm.model.encoder;

import java.util.Objects;

/**
 * The shape and options of a BERT-family encoder (BERT, all-MiniLM, BGE, E5: one block, different
 * sizes): learned absolute positions, token-type (segment) embeddings, post-LayerNorm blocks and a
 * GELU feed-forward.
 *
 * @param architecture the family's name as GGUF writes it ({@code bert})
 * @param vocabSize rows of the word embedding
 * @param dim width of the hidden states
 * @param layers number of blocks
 * @param heads attention heads (dim is a multiple of them)
 * @param ffnDim hidden width of the feed-forward block
 * @param maxPositions rows of the position embedding: the longest input, special tokens included
 * @param typeVocabSize rows of the token-type embedding (0 when the model has none)
 * @param normEps epsilon of every LayerNorm
 * @param activation the feed-forward's non-linearity
 * @param pooling how the model's files say sentence vectors are pooled (mean when they do not say)
 */
public record EncoderConfig(String architecture, int vocabSize, int dim, int layers, int heads, int ffnDim,
        int maxPositions, int typeVocabSize, float normEps, Activation activation, Pooling pooling) {

    /** The feed-forward non-linearity, by HF's {@code hidden_act} names. */
    public enum Activation {
        /** {@code gelu}: 0.5·x·(1 + erf(x/√2)). */
        GELU_ERF,
        /** {@code gelu_new}, {@code gelu_pytorch_tanh}: the tanh approximation. */
        GELU_TANH,
        /** {@code relu}. */
        RELU
    }

    /** Checks that the numbers describe an encoder that can be built. */
    public EncoderConfig {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(pooling, "pooling");
        positive("vocab size", vocabSize);
        positive("hidden size", dim);
        positive("layer count", layers);
        positive("head count", heads);
        positive("feed-forward width", ffnDim);
        positive("position count", maxPositions);
        if (typeVocabSize < 0) {
            throw new IllegalArgumentException("token type count must not be negative, got " + typeVocabSize);
        }
        if (dim % heads != 0) {
            throw new IllegalArgumentException("head count " + heads + " does not divide the hidden size " + dim);
        }
        if (!(normEps > 0) || !Float.isFinite(normEps)) {
            throw new IllegalArgumentException("norm epsilon must be positive, got " + normEps);
        }
    }

    /** Width of one head. */
    public int headDim() {
        return dim / heads;
    }

    private static void positive(String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }
}
