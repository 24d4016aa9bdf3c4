package dev.jllm.formats.quantize;

import dev.jllm.formats.io.ChannelWrites;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A tensor's bytes produced a batch of rows at a time: a {@link RowSource} fills F32 rows and they are
 * converted to the target type as they are written, so only one batch is ever in memory. Rows of a batch
 * are filled and converted in parallel on {@link WorkerPool#common()}.
 */
public final class RowStreamedTensor implements GgufWriter.TensorContent {
    /** Floats per batch; a batch holds at least one row. */
    private static final int BATCH_FLOATS = 1 << 20;
    /** Floats per chunk a worker claims. */
    private static final int GRAIN_FLOATS = 1 << 15;

    /** Fills rows of F32 values; called from several threads at once for disjoint rows. */
    @FunctionalInterface
    public interface RowSource {
        /**
         * Writes rows {@code firstRow .. firstRow + rows} into {@code dst} from index {@code dstOffset}; a row's
         * values must depend only on its index, so that the output is the same however rows are split.
         */
        void fill(long firstRow, int rows, float[] dst, int dstOffset);
    }

    /** Told how many elements of a tensor are done. */
    @FunctionalInterface
    public interface Progress {
        /** {@code done} of {@code total} elements of the current tensor are written. */
        void advanced(long done, long total);
    }

    private final DType type;
    private final long rows;
    private final int rowLength;
    private final RowSource source;
    private final Progress progress;

    /**
     * @param type the type written (any type with a quantizer)
     * @param rows number of rows (the product of all but the last dimension)
     * @param rowLength elements per row, a multiple of {@code type}'s block size
     * @throws IllegalArgumentException if the row length does not fit the type or the row is too long
     */
    public RowStreamedTensor(DType type, long rows, long rowLength, RowSource source, Progress progress) {
        if (rowLength <= 0 || rowLength > BATCH_FLOATS * 16L || rowLength % type.blockSize() != 0) {
            throw new IllegalArgumentException("rows of " + rowLength + " elements cannot be written as " + type
                    + " (block " + type.blockSize() + ")");
        }
        this.type = type;
        this.rows = rows;
        this.rowLength = (int) rowLength;
        this.source = source;
        this.progress = progress;
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
        Quantizer q = WeightKernels.quantizer(type);
        int batchRows = (int) Math.max(1, Math.min(rows, BATCH_FLOATS / rowLength));
        float[] floats = new float[batchRows * rowLength];
        long rowBytes = type.bytesFor(rowLength);
        byte[] bytes = new byte[(int) (batchRows * rowBytes)];
        MemorySegment dst = MemorySegment.ofArray(bytes);
        long total = rows * rowLength;
        int grain = Math.max(1, GRAIN_FLOATS / rowLength);
        for (long r = 0; r < rows; r += batchRows) {
            int n = (int) Math.min(batchRows, rows - r);
            long first = r;
            // rows are independent: generate and quantize them on all workers
            WorkerPool.common().parallelForDynamic(n, grain, (from, to) -> {
                source.fill(first + from, to - from, floats, from * rowLength);
                for (int i = from; i < to; i++) {
                    q.quantize(floats, i * rowLength, rowLength, dst, i * rowBytes);
                }
            });
            ChannelWrites.writeFully(out, ByteBuffer.wrap(bytes, 0, (int) (n * rowBytes)));
            if (progress != null) {
                progress.advanced((r + n) * rowLength, total);
            }
        }
    }
}
