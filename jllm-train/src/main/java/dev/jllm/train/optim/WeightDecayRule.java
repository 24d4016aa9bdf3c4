package dev.jllm.train.optim;

import java.util.Locale;

/**
 * Decides whether weight decay applies to a tensor from its name and rank: the usual rule for
 * transformers, which decays only the matrices of linear layers.
 *
 * <p>No decay for 1-D tensors (norm gains, biases), and for names that contain {@code norm},
 * {@code bias}, {@code embd} or {@code embed} (case-insensitive), which covers GGUF names
 * ({@code token_embd.weight}, {@code blk.0.attn_norm.weight}) and HF names
 * ({@code model.embed_tokens.weight}). GPT-2's tables, whose path segment is {@code wte} or
 * {@code wpe}, count as embeddings too. Embeddings are decayed only when
 * {@link #decayEmbeddings()} is set; an output head tied to the embedding is the embedding.
 *
 * @param decayEmbeddings whether embedding tables get weight decay
 */
public record WeightDecayRule(boolean decayEmbeddings) {

    /** The default: embeddings are not decayed. */
    public static final WeightDecayRule DEFAULT = new WeightDecayRule(false);

    /**
     * Whether a tensor named {@code name} with {@code rank} dimensions gets weight decay.
     *
     * @throws IllegalArgumentException if {@code rank < 0}
     */
    public boolean decays(String name, int rank) {
        if (rank < 0) {
            throw new IllegalArgumentException("tensor " + name + ": rank must be non-negative, got " + rank);
        }
        if (rank <= 1) {
            return false;
        }
        String n = name.toLowerCase(Locale.ROOT);
        if (n.contains("norm") || n.contains("bias")) {
            return false;
        }
        if (isEmbedding(n)) {
            return decayEmbeddings;
        }
        return true;
    }

    /** A parameter whose {@code decay} flag follows this rule. */
    public Parameter parameter(String name, float[] value, int rank) {
        return Parameter.of(name, value, decays(name, rank));
    }

    private static boolean isEmbedding(String lowerName) {
        if (lowerName.contains("embd") || lowerName.contains("embed")) {
            return true;
        }
        // GPT-2 names its token and position tables wte and wpe
        for (String segment : lowerName.split("\\.")) {
            if (segment.equals("wte") || segment.equals("wpe")) {
                return true;
            }
        }
        return false;
    }
}
