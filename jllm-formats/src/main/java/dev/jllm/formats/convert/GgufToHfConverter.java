package dev.jllm.formats.convert;

import static dev.jllm.formats.io.ChannelWrites.writeFully;
import static dev.jllm.formats.io.ChannelWrites.writeSegment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.io.AtomicFile;
import dev.jllm.formats.safetensors.SafetensorsDType;
import dev.jllm.formats.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Converts a GGUF file of the Llama family (architecture llama, qwen2 or qwen3), GPT-2, BERT or T5 into a Hugging Face model
 * folder (F32, F16 and BF16 tensors are copied, quantized matrices are dequantized to F32): {@code model.safetensors} (query/key rows put back in Hugging
 * Face order for llama), {@code config.json}, {@code tokenizer.json} and {@code tokenizer_config.json}.
 * It is the inverse of {@link HfToGgufConverter}. What does not survive: the {@code rope_freqs.weight}
 * tensor of Llama 3 scaling (dropped), and GGUF keys outside the ones mapped to {@code config.json}
 * and the tokenizer files.
 */
public final class GgufToHfConverter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private GgufToHfConverter() {
    }

    /**
     * Converts {@code gguf} into the folder {@code outFolder} (created if needed); each file is written atomically.
     *
     * @throws FormatException naming the file and field when the file is not a convertible model
     */
    public static void convert(Path gguf, Path outFolder) throws IOException {
        try (GgufFile g = GgufFile.open(gguf)) {
            String arch = g.getString("general.architecture");
            String hfClass = switch (arch) {
                case "llama" -> "LlamaForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
                case "qwen3" -> "Qwen3ForCausalLM";
                case "gpt2" -> "GPT2LMHeadModel";
                case "bert" -> "BertModel";
                case "t5" -> "T5ForConditionalGeneration";
                default -> throw new FormatException(gguf, -1, "general.architecture", "\"" + arch
                        + "\" is not converted; supported: llama, qwen2, qwen3, gpt2, bert, t5");
            };
            for (GgufTensorInfo info : g.tensors()) {
                if (!info.hasKernels()) {
                    throw new FormatException(gguf, info.offset(), info.name(), "type " + info.ggmlType()
                            + " cannot be dequantized");
                }
            }
            int heads = (int) g.getLong(arch + ".attention.head_count");
            int kvHeads = (int) g.getLong(arch + ".attention.head_count_kv", heads);
            // the tokenizer is checked before any file is written
            GgufToTokenizerJson.Documents tok = GgufToTokenizerJson.convert(g);
            SafetensorsWriter st = new SafetensorsWriter();
            boolean hasOutput = false;
            boolean hasBias = false;
            boolean family = FamilyTensorNames.covers(arch);
            boolean gated = g.findTensor("enc.blk.0.ffn_gate.weight").isPresent();
            for (GgufTensorInfo info : g.tensors()) {
                String name = info.name();
                if (name.equals("rope_freqs.weight")) {
                    continue;
                }
                String hf = TensorNaming.toHf(arch, name, gated);
                if (hf == null) {
                    throw new FormatException(gguf, info.offset(), name, "tensor has no Hugging Face name for " + arch);
                }
                boolean dequantize = !SourceRows.readable(info.type());
                if (dequantize && (!WeightKernels.hasKernels(info.type()) || info.shape().length != 2)) {
                    throw new FormatException(gguf, info.offset(), name, "type " + info.type() + " cannot be dequantized");
                }
                hasOutput |= name.equals("output.weight");
                hasBias |= name.endsWith(".bias");
                Tensor t = g.tensor(name);
                RopeRowOrder order = null;
                if (arch.equals("llama") && (HfTensorNames.isQuery(name) || HfTensorNames.isKey(name))) {
                    try {
                        order = new RopeRowOrder(t.dim(0), HfTensorNames.isQuery(name) ? heads : kvHeads);
                    } catch (IllegalArgumentException e) {
                        throw new FormatException(gguf, info.offset(), name, e.getMessage());
                    }
                }
                RopeRowOrder o = order;
                if (family && FamilyTensorNames.transposed(arch, name)) {
                    long[] shape = {t.dim(1), t.dim(0)};
                    st.addTensor(hf, dequantize ? SafetensorsDType.F32 : SafetensorsDType.of(t.type()), shape,
                            out -> writeTransposed(t, dequantize, out));
                } else if (dequantize) {
                    st.addTensor(hf, SafetensorsDType.F32, t.shape(), out -> writeDequantized(t, o, out));
                } else {
                    st.addTensor(hf, SafetensorsDType.of(t.type()), t.shape(), out -> writeRows(t, o, out));
                }
            }
            Files.createDirectories(outFolder);
            st.putMetadata("format", "pt");
            st.write(outFolder.resolve("model.safetensors"));
            writeJson(outFolder.resolve("config.json"), family ? FamilyHfConfig.of(g, arch, hfClass, !hasOutput, gated)
                    : config(g, arch, hfClass, heads, kvHeads, !hasOutput, hasBias));
            if (arch.equals("bert")) {
                FamilyHfConfig.writePooling(g, outFolder);
            }
            writeJson(outFolder.resolve("tokenizer.json"), tok.tokenizer());
            writeJson(outFolder.resolve("tokenizer_config.json"), tok.config());
        }
    }

    private static ObjectNode config(GgufFile g, String arch, String hfClass, int heads, int kvHeads, boolean tied,
            boolean bias) throws FormatException {
        ObjectNode c = F.objectNode();
        c.putArray("architectures").add(hfClass);
        c.put("model_type", arch);
        g.findString("general.name").ifPresent(n -> c.put("_name_or_path", n));
        c.put("hidden_size", g.getLong(arch + ".embedding_length"));
        c.put("intermediate_size", g.getLong(arch + ".feed_forward_length"));
        c.put("num_hidden_layers", g.getLong(arch + ".block_count"));
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        g.findLong(arch + ".attention.key_length").ifPresent(k -> c.put("head_dim", k));
        c.put("max_position_embeddings", g.getLong(arch + ".context_length"));
        c.put("rms_norm_eps", (float) g.getDouble(arch + ".attention.layer_norm_rms_epsilon"));
        c.put("rope_theta", g.has(arch + ".rope.freq_base") ? (float) g.getDouble(arch + ".rope.freq_base") : 10000f);
        if (g.has(arch + ".rope.scaling.type") && !g.getString(arch + ".rope.scaling.type").equals("none")) {
            ObjectNode s = c.putObject("rope_scaling");
            s.put("rope_type", g.getString(arch + ".rope.scaling.type"));
            s.put("factor", (float) g.getDouble(arch + ".rope.scaling.factor"));
            g.findLong(arch + ".rope.scaling.original_context_length")
                    .ifPresent(v -> s.put("original_max_position_embeddings", v));
        }
        long vocab = g.findTensor("token_embd.weight").map(t -> t.shape()[0])
                .orElseThrow(() -> new FormatException(g.path(), -1, "token_embd.weight", "missing"));
        c.put("vocab_size", vocab);
        c.put("tie_word_embeddings", tied);
        c.put("hidden_act", "silu");
        if (arch.equals("llama") || bias) {
            c.put("attention_bias", bias);
        }
        g.findLong("tokenizer.ggml.bos_token_id").ifPresent(v -> c.put("bos_token_id", v));
        g.findLong("tokenizer.ggml.eos_token_id").ifPresent(v -> c.put("eos_token_id", v));
        c.put("torch_dtype", switch (g.tensor("token_embd.weight").type()) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        });
        return c;
    }

    // writes the tensor's bytes, taking outer rows in Hugging Face order when a rope order is given
    private static void writeRows(Tensor t, RopeRowOrder order, WritableByteChannel out) throws IOException {
        MemorySegment data = t.data();
        if (order == null) {
            writeSegment(out, data);
            return;
        }
        long outer = t.dim(0);
        long rowBytes = data.byteSize() / outer;
        for (long r = 0; r < outer; r++) {
            writeFully(out, data.asSlice(order.ggufRowOf(r) * rowBytes, rowBytes).asByteBuffer());
        }
    }

    // quantized matrices are written as F32 rows, in Hugging Face order when a rope order is given
    private static void writeDequantized(Tensor t, RopeRowOrder order, WritableByteChannel out) throws IOException {
        WeightKernel kernel = WeightKernels.simd(t.type());
        int cols = (int) t.dim(1);
        float[] row = new float[cols];
        ByteBuffer buf = ByteBuffer.allocate(cols * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long r = 0; r < t.dim(0); r++) {
            long src = order == null ? r : order.ggufRowOf(r);
            kernel.dequantize(t.data(), src * t.rowBytes(), row, 0, cols);
            buf.clear();
            buf.asFloatBuffer().put(row);
            writeFully(out, buf);
        }
    }

    // GPT-2's Conv1D weights: GGUF's [out, in] rows written as Hugging Face's [in, out]
    private static void writeTransposed(Tensor t, boolean dequantize, WritableByteChannel out) throws IOException {
        int rows = (int) t.dim(0);
        int cols = (int) t.dim(1);
        if (dequantize) {
            WeightKernel kernel = WeightKernels.simd(t.type());
            float[] all = new float[Math.multiplyExact(rows, cols)];
            for (int r = 0; r < rows; r++) {
                kernel.dequantize(t.data(), r * t.rowBytes(), all, r * cols, cols);
            }
            ByteBuffer buf = ByteBuffer.allocate(rows * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int c = 0; c < cols; c++) {
                buf.clear();
                for (int r = 0; r < rows; r++) {
                    buf.putFloat(all[r * cols + c]);
                }
                buf.flip();
                writeFully(out, buf);
            }
            return;
        }
        int size = t.type().blockBytes();
        MemorySegment data = t.data();
        ByteBuffer buf = ByteBuffer.allocate(rows * size);
        for (int c = 0; c < cols; c++) {
            buf.clear();
            for (int r = 0; r < rows; r++) {
                long at = ((long) r * cols + c) * size;
                for (int b = 0; b < size; b++) {
                    buf.put(data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at + b));
                }
            }
            buf.flip();
            writeFully(out, buf);
        }
    }

    static void writeJson(Path file, ObjectNode node) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(node);
        AtomicFile.write(file, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }
}
