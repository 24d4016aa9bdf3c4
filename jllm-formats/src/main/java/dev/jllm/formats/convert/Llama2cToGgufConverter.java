package dev.jllm.formats.convert;

import dev.jllm.formats.tokenizer.TokenType;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.tokenizer.load.Llama2cTokenizerFile;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.llama2c.Llama2cCheckpoint;
import dev.jllm.formats.llama2c.Llama2cConfig;
import dev.jllm.formats.quantize.GgufQuantizer;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.formats.quantize.RowStreamedTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a llama2.c ({@code run.c}) checkpoint into a GGUF file of the llama architecture, as llama.cpp's
 * {@code convert-llama2c-to-ggml} does. The weights are copied in their stored row order: llama2.c rotates
 * adjacent pairs in RoPE, which is GGUF llama's convention already, so unlike a Hugging Face checkpoint no
 * query/key row reordering is needed. The tokenizer comes from a llama2.c {@code tokenizer.bin} when one is
 * given (spaces become {@code ▁}; ids 0, 1 and 2 are {@code <unk>}, {@code <s>} and {@code </s>}, as in llama.cpp's
 * converter), otherwise from {@link PlaceholderVocabulary}. A shared classifier is left out ({@code output.weight}
 * absent means tied embeddings in GGUF) rather than copied as llama.cpp's converter does.
 */
public final class Llama2cToGgufConverter {
    /** RMSNorm epsilon of llama2.c's {@code run.c}. */
    public static final float NORM_EPS = 1e-5f;

    private Llama2cToGgufConverter() {
    }

    /**
     * Converts {@code checkpoint} into {@code out}, written atomically.
     *
     * @param tokenizerBin a llama2.c {@code tokenizer.bin} with as many tokens as the model's vocabulary, or null
     * @param fileType the weight type to write, or null for F32
     */
    public static void convert(Path checkpoint, Path tokenizerBin, Path out, LlamaFileType fileType) throws IOException {
        convert(checkpoint, tokenizerBin, out, fileType, null);
    }

    /** As {@link #convert(Path, Path, Path, LlamaFileType)}, telling {@code listener} (when not null) the progress. */
    public static void convert(Path checkpoint, Path tokenizerBin, Path out, LlamaFileType fileType,
            GgufQuantizer.Listener listener) throws IOException {
        LlamaFileType ft = fileType == null ? LlamaFileType.ALL_F32 : ConvertedTensorTypes.check(fileType);
        try (Llama2cCheckpoint ck = Llama2cCheckpoint.open(checkpoint)) {
            Llama2cConfig c = ck.config();
            Map<String, GgufValue> tokenizer = tokenizerBin == null
                    ? PlaceholderVocabulary.metadata(Math.max(c.vocabSize(), PlaceholderVocabulary.MIN_SIZE))
                    : readTokenizer(tokenizerBin, c.vocabSize());
            if (tokenizerBin == null && c.vocabSize() < PlaceholderVocabulary.MIN_SIZE) {
                throw new FormatException(checkpoint, 20, "vocab_size", c.vocabSize() + " tokens are too few for a placeholder "
                        + "vocabulary (" + PlaceholderVocabulary.MIN_SIZE + "); give the model's tokenizer.bin");
            }
            GgufWriter w = new GgufWriter();
            String a = "llama";
            w.putString("general.architecture", a);
            String file = checkpoint.getFileName().toString();
            w.putString("general.name", file.endsWith(".bin") ? file.substring(0, file.length() - 4) : file);
            w.putUint32("general.alignment", GgufFile.DEFAULT_ALIGNMENT);
            w.putUint32("general.file_type", ft.id());
            if (ft.weightType().isQuantized()) {
                w.putUint32("general.quantization_version", 2);
            }
            w.putUint32(a + ".context_length", c.seqLen());
            w.putUint32(a + ".embedding_length", c.dim());
            w.putUint32(a + ".block_count", c.layers());
            w.putUint32(a + ".feed_forward_length", c.hiddenDim());
            w.putUint32(a + ".attention.head_count", c.heads());
            w.putUint32(a + ".attention.head_count_kv", c.kvHeads());
            w.putFloat32(a + ".attention.layer_norm_rms_epsilon", NORM_EPS);
            w.putUint32(a + ".vocab_size", c.vocabSize());
            w.putFloat32(a + ".rope.freq_base", 10000f);
            w.putUint32(a + ".rope.dimension_count", c.headSize());
            w.putAll(tokenizer);
            Map<String, Tensor> tensors = ck.tensors();
            int index = 0;
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor t = e.getValue();
                DType type = ConvertedTensorTypes.of(e.getKey(), t.shape(), ft);
                long rowLength = t.dim(t.rank() - 1);
                w.addTensor(e.getKey(), type, t.shape(), ConvertedTensor.of(listener, index++, tensors.size(), e.getKey(),
                        t.type(), type, t.elements() / rowLength, rowLength, new SourceRows(t, null)));
            }
            w.write(out);
        }
    }

    /** The {@code tokenizer.*} metadata of a llama2.c {@code tokenizer.bin} that must hold {@code vocab} tokens. */
    static Map<String, GgufValue> readTokenizer(Path file, int vocab) throws IOException {
        Llama2cTokenizerFile.Entries entries = Llama2cTokenizerFile.readEntries(file, vocab);
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int id = 0; id < entries.pieces().size(); id++) {
            String t = entries.pieces().get(id);
            // as llama.cpp's converter: ids 0, 1, 2 are <unk>, <s>, </s> whatever their text, empty pieces are control
            int type;
            if (id < 3) {
                t = new String[] {"<unk>", "<s>", "</s>"}[id];
                type = id == 0 ? TokenType.UNKNOWN.code() : TokenType.CONTROL.code();
            } else if (t.isEmpty()) {
                type = TokenType.CONTROL.code();
            } else if (t.matches("<0x[0-9A-Fa-f]{2}>")) {
                type = TokenType.BYTE.code();
            } else {
                type = TokenType.NORMAL.code();
                t = t.replace(' ', '\u2581');
            }
            tokens.add(t);
            types.add(type);
        }
        List<Float> scores = entries.scores();
        if (tokens.size() != vocab) {
            throw new FormatException(file, -1, "tokens", "holds " + tokens.size() + " tokens but the model's vocabulary is "
                    + vocab);
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.string("llama"));
        m.put("tokenizer.ggml.pre", GgufValue.string("default"));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        m.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(1));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(2));
        m.put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(0));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(true));
        return m;
    }
}
