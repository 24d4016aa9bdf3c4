package dev.jllm.formats.init;

/**
 * The hyperparameters of a randomly initialised model.
 *
 * @param dim embedding width
 * @param layers number of transformer blocks
 * @param heads attention heads
 * @param kvHeads key/value heads (equal to {@code heads} without grouped-query attention)
 * @param ff feed-forward width
 * @param vocab vocabulary size
 * @param headDim width of one head (usually {@code dim / heads})
 * @param context training context length
 * @param ropeTheta RoPE base frequency
 * @param normEps epsilon of the (RMS or Layer) norms
 * @param tiedEmbeddings whether the output matrix is the token embedding (no output.weight tensor)
 */
public record ModelDims(int dim, int layers, int heads, int kvHeads, int ff, int vocab, int headDim, int context,
        float ropeTheta, float normEps, boolean tiedEmbeddings) {

    /** Relative-position buckets of T5's attention bias. */
    public static final int RELATIVE_BUCKETS = 32;

    /** Checks that the sizes are positive and the heads fit. */
    public ModelDims {
        if (dim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || ff <= 0 || vocab <= 0 || headDim <= 0 || context <= 0) {
            throw new IllegalArgumentException("model dimensions must be positive: dim " + dim + ", layers " + layers
                    + ", heads " + heads + ", kv heads " + kvHeads + ", ff " + ff + ", vocab " + vocab + ", head dim "
                    + headDim + ", context " + context);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " is not a multiple of kv heads " + kvHeads);
        }
    }

    /** The same model with vocabulary size {@code n}. */
    public ModelDims withVocab(int n) {
        return new ModelDims(dim, layers, heads, kvHeads, ff, n, headDim, context, ropeTheta, normEps, tiedEmbeddings);
    }

    /** The size a symbolic dimension of an architecture table stands for. */
    long size(Dim d) {
        return switch (d) {
            case DIM -> dim;
            case Q_DIM -> (long) heads * headDim;
            case KV_DIM -> (long) kvHeads * headDim;
            case QKV_DIM -> 3L * dim;
            case HEAD_DIM -> headDim;
            case FF -> ff;
            case VOCAB -> vocab;
            case CONTEXT -> context;
            case TOKEN_TYPES -> 2;
            case HEADS -> heads;
            case REL_BUCKETS -> RELATIVE_BUCKETS;
        };
    }

    /** The symbolic dimensions the architecture tables use. */
    enum Dim {
        DIM, Q_DIM, KV_DIM, QKV_DIM, HEAD_DIM, FF, VOCAB, CONTEXT, TOKEN_TYPES, HEADS, REL_BUCKETS
    }
}
