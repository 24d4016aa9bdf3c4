package dev.jllm.formats.onnx;

import static dev.jllm.formats.io.ChannelWrites.writeFully;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.io.AtomicFile;
import dev.jllm.formats.safetensors.SafetensorsDType;
import dev.jllm.formats.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Converts the ONNX export of a BERT-family encoder (BERT, MiniLM, BGE, E5, …) into a Hugging Face {@code BertModel}
 * folder: {@code config.json} inferred from the graph, {@code model.safetensors} with Hugging Face's tensor names
 * (dense weights transposed back to {@code [out, in]}), and {@code tokenizer.json} when one is given. Weights are
 * found by following the graph (see {@link BertGraphWalk}), not by their names, which exporters often drop.
 */
public final class OnnxBertImport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    // a transpose works on blocks of output rows of at most this many bytes
    private static final long TRANSPOSE_BLOCK_BYTES = 8L << 20;

    private OnnxBertImport() {
    }

    /**
     * Converts {@code onnxFile} into the folder {@code outDir}, which must not exist or be empty. The folder is built
     * under a temporary name next to it and renamed into place, so it appears whole or not at all.
     *
     * @param onnxFile the ONNX model
     * @param tokenizerJson a {@code tokenizer.json} copied into the folder, or null
     * @param outDir the folder to create
     * @return the mapping that was written; the model is closed by then, so its tensors' names, types and shapes can
     *     be read but not their data (use {@link #plan} on an open model for that)
     * @throws FormatException naming the file, field and offset when the model cannot be read, or the operator
     *     (op_type and node name) that does not fit a BERT-family encoder
     * @throws IOException if reading or writing fails, or {@code outDir} is a non-empty folder or a file
     */
    public static BertImportPlan convert(Path onnxFile, Path tokenizerJson, Path outDir) throws IOException {
        if (tokenizerJson != null && !Files.isRegularFile(tokenizerJson)) {
            throw new NoSuchFileException(tokenizerJson.toString(), null, "tokenizer file not found");
        }
        Path target = outDir.toAbsolutePath().normalize();
        checkTarget(target);
        if (tokenizerJson != null) {
            checkTokenizer(tokenizerJson);
        }
        try (OnnxModel model = OnnxModel.open(onnxFile)) {
            BertImportPlan plan = plan(model);
            Path parent = target.getParent();
            Files.createDirectories(parent);
            Path tmp = parent.resolve("." + target.getFileName() + ".tmp-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFFL));
            Files.createDirectory(tmp);
            boolean done = false;
            try {
                safetensors(plan).write(tmp.resolve("model.safetensors"));
                byte[] config = JSON.writeValueAsBytes(config(plan));
                AtomicFile.write(tmp.resolve("config.json"), ch -> writeFully(ch, ByteBuffer.wrap(config)));
                if (tokenizerJson != null) {
                    Files.copy(tokenizerJson, tmp.resolve("tokenizer.json"));
                }
                checkTarget(target);
                Files.deleteIfExists(target);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target);
                }
                done = true;
            } finally {
                if (!done) {
                    deleteTree(tmp);
                }
            }
            return plan;
        }
    }

    /**
     * Maps an open model's graph to BERT's weights without writing anything; the tensors stay readable while
     * {@code model} is open.
     *
     * @throws FormatException naming the operator (op_type and node name) that does not fit a BERT-family encoder
     */
    public static BertImportPlan plan(OnnxModel model) throws FormatException {
        return BertGraphWalk.plan(model);
    }

    // a tokenizer.json is a JSON object with a "model" (catches a vocab.txt or tokenizer.model given by mistake)
    private static void checkTokenizer(Path file) throws IOException {
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new FormatException(file, -1, "tokenizer.json", "is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject() || !root.path("model").isObject()) {
            throw new FormatException(file, -1, "model", "missing: not a Hugging Face tokenizer.json");
        }
    }

    private static void checkTarget(Path target) throws IOException {
        if (Files.isDirectory(target)) {
            try (Stream<Path> s = Files.list(target)) {
                if (s.findAny().isPresent()) {
                    throw new DirectoryNotEmptyException(target + ": the output folder exists and is not empty");
                }
            }
        } else if (Files.exists(target)) {
            throw new IOException(target + " exists and is not a folder");
        }
    }

    /** The Hugging Face {@code config.json} of {@code plan}. */
    static ObjectNode config(BertImportPlan plan) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("BertModel");
        c.put("model_type", "bert");
        c.put("hidden_size", plan.hiddenSize());
        c.put("num_hidden_layers", plan.layers());
        c.put("num_attention_heads", plan.heads());
        c.put("intermediate_size", plan.intermediateSize());
        c.put("hidden_act", plan.hiddenAct());
        c.put("vocab_size", plan.vocabSize());
        c.put("max_position_embeddings", plan.maxPositions());
        c.put("type_vocab_size", plan.typeVocabSize());
        // the epsilon is a float constant in the graph: its shortest float spelling is what the exporter was given
        c.put("layer_norm_eps", Double.parseDouble(Float.toString((float) plan.layerNormEps())));
        c.put("position_embedding_type", "absolute");
        c.put("torch_dtype", switch (plan.tensors().get(0).type()) {
            case FLOAT16 -> "float16";
            case BFLOAT16 -> "bfloat16";
            default -> "float32";
        });
        return c;
    }

    private static SafetensorsWriter safetensors(BertImportPlan plan) {
        SafetensorsWriter st = new SafetensorsWriter().putMetadata("format", "pt");
        for (BertImportPlan.Tensor t : plan.tensors()) {
            SafetensorsDType dtype = switch (t.type()) {
                case FLOAT16 -> SafetensorsDType.F16;
                case BFLOAT16 -> SafetensorsDType.BF16;
                default -> SafetensorsDType.F32;
            };
            long bytes = dtype.size();
            for (long d : t.shape()) {
                bytes *= d;
            }
            long size = bytes;
            if (t.source() == null) {
                st.addTensor(t.name(), dtype, t.shape(), out -> zeros(out, size));
            } else if (t.transposed()) {
                st.addTensor(t.name(), dtype, t.shape(), out -> transposed(t.source().data(), t.shape()[0], t.shape()[1],
                        dtype.size(), out));
            } else {
                st.addTensor(t.name(), dtype, t.shape(), t.source().data());
            }
        }
        return st;
    }

    private static void zeros(WritableByteChannel out, long bytes) throws IOException {
        ByteBuffer z = ByteBuffer.allocate((int) Math.min(bytes, 1 << 16));
        for (long left = bytes; left > 0; left -= z.limit()) {
            z.clear().limit((int) Math.min(left, z.capacity()));
            writeFully(out, z);
        }
    }

    /**
     * Writes the {@code [rows, cols]} transpose of {@code src}, which is stored {@code [cols, rows]}, in blocks of
     * output rows so that each pass reads the source in runs.
     */
    static void transposed(MemorySegment src, long rows, long cols, int size, WritableByteChannel out)
            throws IOException {
        transposed(src, rows, cols, size, out, TRANSPOSE_BLOCK_BYTES);
    }

    /** {@link #transposed(MemorySegment, long, long, int, WritableByteChannel)} with blocks of at most {@code blockBytes}. */
    static void transposed(MemorySegment src, long rows, long cols, int size, WritableByteChannel out, long blockBytes)
            throws IOException {
        long block = Math.max(1, Math.min(rows, blockBytes / Math.max(1, cols * size)));
        byte[] buf = new byte[Math.toIntExact(block * cols * size)];
        MemorySegment b = MemorySegment.ofArray(buf);
        for (long r0 = 0; r0 < rows; r0 += block) {
            long n = Math.min(block, rows - r0);
            for (long c = 0; c < cols; c++) {
                long from = (c * rows + r0) * size;
                for (long j = 0; j < n; j++) {
                    long to = (j * cols + c) * size;
                    if (size == 4) {
                        b.set(ValueLayout.JAVA_INT_UNALIGNED, to, src.get(ValueLayout.JAVA_INT_UNALIGNED, from + j * 4));
                    } else {
                        b.set(ValueLayout.JAVA_SHORT_UNALIGNED, to, src.get(ValueLayout.JAVA_SHORT_UNALIGNED, from + j * 2));
                    }
                }
            }
            writeFully(out, ByteBuffer.wrap(buf, 0, (int) (n * cols * size)));
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
