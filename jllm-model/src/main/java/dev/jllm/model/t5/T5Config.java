package dev.jllm.model.t5;

/**
 * The shape and options of a T5 encoder-decoder (T5 v1.0, v1.1, Flan-T5).
 *
 * @param vocabSize rows of the shared token embedding (and of the LM head)
 * @param dim model width ({@code d_model})
 * @param encoderLayers encoder blocks
 * @param decoderLayers decoder blocks
 * @param heads attention heads
 * @param kvHeads key/value heads (equal to {@code heads} in every published T5)
 * @param headDim width of one head ({@code d_kv})
 * @param ffnDim feed-forward width ({@code d_ff})
 * @param buckets relative-position buckets of the attention bias
 * @param maxDistance the distance beyond which all positions share the last bucket
 * @param normEps epsilon of the RMS-style layer norms
 * @param mlp the feed-forward variant
 * @param tiedHead whether the LM head is the token embedding (then its input is scaled by {@code dim^-0.5})
 * @param decoderStartId the token the decoder starts from
 * @param contextLength the most decoder positions a self-attention cache holds by default
 */
public record T5Config(int vocabSize, int dim, int encoderLayers, int decoderLayers, int heads, int kvHeads, int headDim,
        int ffnDim, int buckets, int maxDistance, float normEps, Mlp mlp, boolean tiedHead, int decoderStartId,
        int contextLength) {

    /** HF's and llama.cpp's default {@code relative_attention_max_distance}. */
    public static final int DEFAULT_MAX_DISTANCE = 128;

    /** The feed-forward network of a block. */
    public enum Mlp {
        /** T5 v1.0: {@code wo(relu(wi·x))}. */
        RELU,
        /** T5 v1.1 and Flan-T5: {@code wo(gelu_tanh(wi_0·x) * (wi_1·x))}. */
        GATED_GELU
    }

    /**
     * Checks the sizes.
     *
     * @throws IllegalArgumentException naming the first size out of range
     */
    public T5Config {
        if (vocabSize <= 0 || dim <= 0 || encoderLayers <= 0 || decoderLayers <= 0 || heads <= 0 || kvHeads <= 0
                || headDim <= 0 || ffnDim <= 0 || buckets <= 0 || maxDistance <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("T5 sizes must be positive: vocab " + vocabSize + ", dim " + dim
                    + ", encoder layers " + encoderLayers + ", decoder layers " + decoderLayers + ", heads " + heads
                    + ", kv heads " + kvHeads + ", head dim " + headDim + ", ff " + ffnDim + ", buckets " + buckets
                    + ", max distance " + maxDistance + ", context " + contextLength);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " is not a multiple of kv heads " + kvHeads);
        }
        if (buckets < 4) {
            throw new IllegalArgumentException("T5 needs at least 4 relative-position buckets, got " + buckets);
        }
        if (decoderStartId < 0 || decoderStartId >= vocabSize) {
            throw new IllegalArgumentException("decoder start token " + decoderStartId + " is outside the vocabulary of "
                    + vocabSize);
        }
        if (mlp == null) {
            throw new IllegalArgumentException("the feed-forward variant is missing");
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
}
