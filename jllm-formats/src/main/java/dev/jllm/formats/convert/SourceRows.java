package dev.jllm.formats.convert;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.quantize.RowStreamedTensor;
import java.lang.foreign.MemorySegment;
import java.util.function.LongUnaryOperator;

/**
 * Reads an F32, F16 or BF16 tensor as F32 rows for {@link RowStreamedTensor}, optionally taking the
 * outer rows (the first dimension) in another order. The tensor is seen as {@code [outer, inner]}; a
 * vector is {@code [n, 1]}, so a bias is reordered element by element like the rows of its matrix.
 */
final class SourceRows implements RowStreamedTensor.RowSource {

    private final DType type;
    private final WeightKernel kernel;
    private final MemorySegment data;
    private final long inner;
    private final long rowLength;
    private final LongUnaryOperator outerOf;

    /**
     * @param tensor the source, F32, F16 or BF16
     * @param outerOf maps an output outer index to the source's, or null for the same order
     * @throws IllegalArgumentException for any other type
     */
    SourceRows(Tensor tensor, LongUnaryOperator outerOf) {
        if (!readable(tensor.type())) {
            throw new IllegalArgumentException("tensor type " + tensor.type() + " cannot be converted; only F32, F16 and BF16");
        }
        this.type = tensor.type();
        this.kernel = WeightKernels.reference(type);
        this.data = tensor.data();
        this.inner = tensor.rank() == 1 ? 1 : tensor.elements() / tensor.dim(0);
        this.rowLength = tensor.dim(tensor.rank() - 1);
        this.outerOf = outerOf;
    }

    /** Whether tensors of {@code type} can be read. */
    static boolean readable(DType type) {
        return type == DType.F32 || type == DType.F16 || type == DType.BF16;
    }

    @Override
    public void fill(long firstRow, int rows, float[] dst, int dstOffset) {
        long first = firstRow * rowLength;
        long n = rows * rowLength;
        for (long e = 0; e < n; ) {
            long flat = first + e;
            long outer = flat / inner;
            long col = flat % inner;
            long srcOuter = outerOf == null ? outer : outerOf.applyAsLong(outer);
            // copy the rest of this outer slice in one run
            long run = Math.min(inner - col, n - e);
            long src = srcOuter * inner + col;
            // float types have a block size of 1: any run is whole blocks
            kernel.dequantize(data, src * type.blockBytes(), dst, (int) (dstOffset + e), (int) run);
            e += run;
        }
    }
}
