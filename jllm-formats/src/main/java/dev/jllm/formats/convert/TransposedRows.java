package dev.jllm.formats.convert;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.quantize.RowStreamedTensor;

/**
 * The rows of a matrix's transpose: a {@code [in, out]} source (GPT-2's Conv1D weights in Hugging Face files)
 * read as {@code out} rows of {@code in} values. The source is decoded to F32 once, since every output row
 * takes one value from each of its rows.
 */
final class TransposedRows implements RowStreamedTensor.RowSource {
    private final float[] source;
    private final int in;
    private final int out;

    /** @param tensor an F32, F16 or BF16 matrix of at most 2^31 - 1 elements */
    TransposedRows(Tensor tensor) {
        if (tensor.rank() != 2 || !SourceRows.readable(tensor.type()) || tensor.elements() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("only F32, F16 or BF16 matrices of fewer than 2^31 elements are "
                    + "transposed, not " + tensor.type() + " " + java.util.Arrays.toString(tensor.shape()));
        }
        this.in = (int) tensor.dim(0);
        this.out = (int) tensor.dim(1);
        this.source = new float[in * out];
        WeightKernels.reference(tensor.type()).dequantize(tensor.data(), 0, source, 0, source.length);
    }

    /** The shape of the transpose: {@code [out, in]}. */
    long[] shape() {
        return new long[] {out, in};
    }

    @Override
    public void fill(long firstRow, int rows, float[] dst, int dstOffset) {
        for (int r = 0; r < rows; r++) {
            int row = (int) (firstRow + r);
            int at = dstOffset + r * in;
            for (int c = 0; c < in; c++) {
                dst[at + c] = source[c * out + row];
            }
        }
    }
}
