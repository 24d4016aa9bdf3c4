package dev.jllm.formats.convert;

/**
 * The row order change llama.cpp's converter applies to the query and key projections of Llama-style
 * Hugging Face checkpoints. Hugging Face rotates the two halves of each head ("rotate_half"), GGUF's
 * llama architecture rotates adjacent pairs; reordering each head's rows from {@code [half 0, half 1]}
 * to interleaved {@code [0, half, 1, half + 1, ...]} makes the two conventions compute the same thing.
 * Qwen2/Qwen3 GGUF files use the NeoX rope mode instead and keep the Hugging Face order.
 */
final class RopeRowOrder {
    private final long headRows;

    /**
     * @param rows rows of the projection (heads times head size)
     * @param heads heads the rows are split into
     * @throws IllegalArgumentException if the rows do not split into heads of an even size
     */
    RopeRowOrder(long rows, int heads) {
        if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException(rows + " rows do not split into " + heads + " heads of an even size");
        }
        this.headRows = rows / heads;
    }

    /** The Hugging Face row that lands on GGUF row {@code ggufRow}. */
    long hfRowOf(long ggufRow) {
        long head = ggufRow / headRows;
        long r = ggufRow % headRows;
        long half = headRows / 2;
        // GGUF row 2i + j holds Hugging Face row j * half + i
        return head * headRows + (r % 2) * half + r / 2;
    }

    /** The GGUF row that lands on Hugging Face row {@code hfRow} (the inverse of {@link #hfRowOf}). */
    long ggufRowOf(long hfRow) {
        long head = hfRow / headRows;
        long r = hfRow % headRows;
        long half = headRows / 2;
        return head * headRows + (r % half) * 2 + r / half;
    }
}
