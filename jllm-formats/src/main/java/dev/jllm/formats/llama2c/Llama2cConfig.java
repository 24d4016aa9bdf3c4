package dev.jllm.formats.llama2c;

/**
 * The header of a llama2.c checkpoint.
 *
 * @param dim transformer width
 * @param hiddenDim feed-forward width
 * @param layers number of transformer blocks
 * @param heads query heads
 * @param kvHeads key/value heads (fewer than {@code heads} with grouped-query attention)
 * @param vocabSize vocabulary size (always positive here; the sign in the file is {@code sharedClassifier})
 * @param seqLen maximum sequence length
 * @param sharedClassifier whether the output classifier reuses the token embedding table
 */
public record Llama2cConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int seqLen,
        boolean sharedClassifier) {

    /** Width of one attention head. */
    public int headSize() {
        return dim / heads;
    }

    /** Width of the key and value projections. */
    public int kvDim() {
        return kvHeads * headSize();
    }
}
