package dev.jllm.formats.quantize;

import dev.jllm.formats.io.ChannelWrites;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-quantizes a GGUF file: every tensor is dequantized row by row with the reference kernels and
 * quantized to the type {@link TensorTypeChooser} picks (no importance weights), streamed straight to
 * the output so memory stays at one batch of rows. Metadata is copied; {@code general.file_type} and
 * {@code general.quantization_version} are set. The output is written atomically.
 */
public final class GgufQuantizer {
    /** GGML's quantization format version, which llama-quantize writes. */
    private static final int QUANTIZATION_VERSION = 2;

    /** Follows the work tensor by tensor. */
    public interface Listener {
        /** Tensor {@code index} of {@code count} starts, converting {@code from} to {@code to}. */
        void tensor(int index, int count, String name, DType from, DType to);

        /** {@code done} of {@code total} elements of the current tensor are written. */
        void advanced(long done, long total);
    }

    private GgufQuantizer() {
    }

    /** The type each tensor of {@code in} gets under {@code fileType}, in file order. */
    public static List<DType> plan(GgufFile in, LlamaFileType fileType, boolean pure) {
        List<TensorTypeChooser.TensorDescription> ts = new ArrayList<>();
        for (GgufTensorInfo t : in.tensors()) {
            ts.add(new TensorTypeChooser.TensorDescription(t.name(), t.type(), t.shape()));
        }
        return TensorTypeChooser.choose(ts, fileType, pure);
    }

    /**
     * Writes {@code input} quantized to {@code fileType} as {@code output}.
     *
     * @param listener told about progress, or null
     * @throws FormatException if {@code input} is not a valid GGUF file
     * @throws IllegalArgumentException if a tensor cannot take its type (see {@link TensorTypeChooser})
     */
    public static void quantize(Path input, Path output, LlamaFileType fileType, boolean pure, Listener listener)
            throws IOException {
        try (GgufFile in = GgufFile.open(input)) {
            for (GgufTensorInfo t : in.tensors()) {
                if (!t.hasKernels()) {
                    throw new FormatException(input, -1, t.name(), "jllm cannot read tensors of type " + t.ggmlType());
                }
            }
            List<DType> types = plan(in, fileType, pure);
            GgufWriter w = new GgufWriter();
            w.putAll(in.values());
            w.putUint32("general.file_type", fileType.id());
            w.putUint32("general.quantization_version", QUANTIZATION_VERSION);
            List<GgufTensorInfo> tensors = in.tensors();
            for (int i = 0; i < tensors.size(); i++) {
                GgufTensorInfo t = tensors.get(i);
                DType to = types.get(i);
                MemorySegment src = in.tensorBytes(t);
                int index = i;
                Runnable announce = () -> {
                    if (listener != null) {
                        listener.tensor(index, tensors.size(), t.name(), t.type(), to);
                    }
                };
                if (to == t.type()) {
                    w.addTensor(t.name(), to, t.shape(), out -> {
                        announce.run();
                        ChannelWrites.writeSegment(out, src);
                        if (listener != null) {
                            listener.advanced(t.elements(), t.elements());
                        }
                    });
                    continue;
                }
                if (!WeightKernels.hasKernels(t.type())) {
                    throw new FormatException(input, -1, t.name(), "jllm cannot read tensors of type " + t.type());
                }
                long rowLength = t.dims()[0];
                long rows = t.elements() / rowLength;
                WeightKernel reader = WeightKernels.reference(t.type());
                long srcRowBytes = t.type().bytesFor(rowLength);
                RowStreamedTensor.RowSource source = (first, n, dst, at) -> {
                    for (int r = 0; r < n; r++) {
                        reader.dequantize(src, (first + r) * srcRowBytes, dst, (int) (at + r * rowLength), (int) rowLength);
                    }
                };
                RowStreamedTensor body = new RowStreamedTensor(to, rows, rowLength, source,
                        listener == null ? null : listener::advanced);
                w.addTensor(t.name(), to, t.shape(), out -> {
                    announce.run();
                    body.writeTo(out);
                });
            }
            w.write(output);
        }
    }

}
