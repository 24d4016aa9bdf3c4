package dev.jllm.model.decoder;

/**
 * The operations the decoder's definition ({@link DecoderDefinition}) is written in. Inference
 * implements them eagerly on float buffers with the KV cache ({@link Decoder}); training records them
 * on an autograd tape ({@link TapeDecoderMath}). Weights are named by where they sit, so each
 * implementation binds its own representation of them.
 *
 * @param <T> the activation type: a batch of rows, one per token
 */
public interface DecoderMath<T> {
    /** The norms of a block and the final one. */
    enum NormSite {
        /** Before attention. */
        ATTENTION,
        /** Before the MLP. */
        MLP,
        /** After the last block (layer −1). */
        FINAL
    }

    /** The projections of a block (each with its bias, when the model has one). */
    enum Projection {
        /** Queries. */
        Q,
        /** Keys. */
        K,
        /** Values. */
        V,
        /** Attention output. */
        OUTPUT,
        /** Gate of a gated MLP. */
        GATE,
        /** Up projection of the MLP. */
        UP,
        /** Down projection of the MLP. */
        DOWN
    }

    /** The token (and, for learned positions, position) embeddings of the batch. */
    T embed();

    /** The norm at {@code site} of {@code layer}. */
    T norm(T x, int layer, NormSite site);

    /** {@code x·Wᵀ + b} for projection {@code p} of {@code layer}. */
    T linear(T x, int layer, Projection p);

    /** RMSNorm of every head of the queries ({@code p = Q}) or keys ({@code K}) (Qwen3). */
    T headNorm(T x, int layer, Projection p);

    /** Rotary embedding of the queries ({@code p = Q}) or keys ({@code K}) at the batch's positions. */
    T rope(T x, Projection p);

    /** Causal (and, with a window, local) attention of {@code layer}: heads of q over keys and values. */
    T attention(int layer, T q, T k, T v);

    /** The residual sum {@code x + y}. */
    T add(T x, T y);

    /** {@code silu(gate) · up}. */
    T swiglu(T gate, T up);

    /** GELU (tanh approximation). */
    T gelu(T x);

    /** The classifier's logits. */
    T logits(T x);
}
