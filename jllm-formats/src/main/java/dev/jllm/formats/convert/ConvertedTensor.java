package dev.jllm.formats.convert;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.quantize.GgufQuantizer;
import dev.jllm.formats.quantize.RowStreamedTensor;

/**
 * One tensor a converter streams into a GGUF file: its rows converted to the target type as they are written,
 * and the converter's listener (when there is one) told when the tensor starts and how far it got.
 */
final class ConvertedTensor {
    private ConvertedTensor() {
    }

    /**
     * The content of tensor {@code index} of {@code count}.
     *
     * @param listener told about progress, or null
     */
    static GgufWriter.TensorContent of(GgufQuantizer.Listener listener, int index, int count, String name, DType from,
            DType to, long rows, long rowLength, RowStreamedTensor.RowSource source) {
        RowStreamedTensor body = new RowStreamedTensor(to, rows, rowLength, source,
                listener == null ? null : listener::advanced);
        return ch -> {
            if (listener != null) {
                listener.tensor(index, count, name, from, to);
            }
            body.writeTo(ch);
        };
    }
}
