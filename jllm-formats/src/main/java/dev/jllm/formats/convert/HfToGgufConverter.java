package dev.jllm.formats.convert;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.hf.HfModelConfig;
import dev.jllm.formats.hf.HfRopeScaling;
import dev.jllm.formats.quantize.GgufQuantizer;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.formats.quantize.RowStreamedTensor;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.safetensors.SafetensorsTensorInfo;
import dev.jllm.formats.tokenizer.load.TiktokenFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * Converts a Hugging Face model folder of the Llama family ({@code model_type} llama, mistral, qwen2 or
 * qwen3; GPT-2, BERT and T5 go through {@link HfGpt2BertT5ToGguf}: {@code config.json}, one or more {@code *.safetensors}, {@code tokenizer.json} (or, for llama and
 * mistral, SentencePiece's {@code tokenizer.model}, preferred when present as llama.cpp prefers it) and
 * optionally {@code tokenizer_config.json}) into a GGUF file laid out as llama.cpp's {@code convert_hf_to_gguf.py}
 * lays it out: llama.cpp tensor names, types as {@link ConvertedTensorTypes} picks them, query/key rows reordered for the llama architecture's rope
 * (see {@link RopeRowOrder}), vectors kept F32, hyperparameters and tokenizer as metadata.
 */
public final class HfToGgufConverter {
    private static final List<String> LAYER_ORDER = List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_q_norm",
            "attn_k_norm", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down");

    private HfToGgufConverter() {
    }

    /** A source tensor and where it goes. */
    private record Item(String hfName, String ggufName, Tensor tensor, LongUnaryOperator order) {
    }

    /**
     * Converts {@code folder} into the GGUF file {@code out}, written atomically.
     *
     * @param fileType the weight type to write, or null to keep the checkpoint's (F32, F16 or BF16)
     * @throws FormatException naming the file and field when the folder is not a convertible model
     */
    public static void convert(Path folder, Path out, LlamaFileType fileType) throws IOException {
        convert(folder, out, fileType, null);
    }

    /**
     * As {@link #convert(Path, Path, LlamaFileType)}, telling {@code listener} (when not null) each tensor's
     * start and progress.
     */
    public static void convert(Path folder, Path out, LlamaFileType fileType, GgufQuantizer.Listener listener)
            throws IOException {
        ConvertedTensorTypes.check(fileType);
        Path configFile = folder.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new FormatException(configFile, -1, "config.json", "missing: " + folder + " is not a Hugging Face model folder");
        }
        HfModelConfig cfg = HfModelConfig.read(configFile);
        if (List.of("gpt2", "bert", "t5").contains(cfg.modelType())) {
            HfGpt2BertT5ToGguf.convert(folder, cfg, out, fileType, listener);
            return;
        }
        String arch = switch (cfg.modelType()) {
            case "llama", "mistral" -> "llama";
            case "qwen2" -> "qwen2";
            case "qwen3" -> "qwen3";
            default -> throw new FormatException(configFile, -1, "model_type", "\"" + cfg.modelType()
                    + "\" is not converted; supported: llama, mistral, qwen2, qwen3, gpt2, bert, t5");
        };
        int width = require(configFile, "hidden_size", cfg.width().orElse(-1));
        int layers = require(configFile, "num_hidden_layers", cfg.layers().orElse(-1));
        int heads = require(configFile, "num_attention_heads", cfg.heads().orElse(-1));
        int kvHeads = cfg.kvHeads().orElse(heads);
        int headSize = require(configFile, "head_dim", cfg.headSize().orElse(-1));
        int ff = require(configFile, "intermediate_size", cfg.feedForwardWidth().orElse(-1));
        Path tokenizerJson = folder.resolve("tokenizer.json");
        // like llama.cpp, Llama-style models take SentencePiece's own file (exact scores) when there is one
        Path spModel = folder.resolve("tokenizer.model");
        // Meta's own Llama 3 folders name their tiktoken ranks tokenizer.model
        boolean tiktoken = Files.isRegularFile(spModel) && TiktokenFile.looksLikeTiktoken(spModel);
        boolean useSpModel = arch.equals("llama") && Files.isRegularFile(spModel) && !tiktoken;
        if (!useSpModel && !tiktoken && !Files.isRegularFile(tokenizerJson)) {
            throw new FormatException(tokenizerJson, -1, "tokenizer.json", "missing: the tokenizer is converted from "
                    + "tokenizer.json (or tokenizer.model for llama and mistral)");
        }
        try (SafetensorsModel st = SafetensorsModel.open(folder)) {
            List<Item> items = new ArrayList<>();
            boolean permute = arch.equals("llama");
            for (SafetensorsTensorInfo info : st.tensors()) {
                String name = info.name();
                if (name.endsWith("rotary_emb.inv_freq")) {
                    continue; // recomputed from rope.freq_base at load time
                }
                String g = HfTensorNames.toGguf(name);
                Path file = st.fileOf(name).map(f -> f.path()).orElse(folder);
                if (g == null) {
                    throw new FormatException(file, -1, name, "tensor has no GGUF name for " + cfg.modelType());
                }
                if (!SourceRows.readable(info.dtype().coreType())) {
                    throw new FormatException(file, -1, name, "dtype " + info.dtype() + " is not converted; only F32, F16 and BF16");
                }
                Tensor t = st.tensor(name);
                LongUnaryOperator order = null;
                if (permute && (HfTensorNames.isQuery(g) || HfTensorNames.isKey(g))) {
                    try {
                        RopeRowOrder r = new RopeRowOrder(t.dim(0), HfTensorNames.isQuery(g) ? heads : kvHeads);
                        order = r::hfRowOf;
                    } catch (IllegalArgumentException e) {
                        throw new FormatException(file, -1, name, e.getMessage());
                    }
                }
                items.add(new Item(name, g, t, order));
            }
            items.sort(Comparator.comparingLong(HfToGgufConverter::rank));
            Item embd = items.stream().filter(i -> i.ggufName().equals("token_embd.weight")).findFirst()
                    .orElseThrow(() -> new FormatException(folder, -1, "model.embed_tokens.weight", "missing"));
            int vocab = (int) embd.tensor().dim(0);
            if (fileType == null) {
                fileType = switch (embd.tensor().type()) {
                    case F16 -> LlamaFileType.MOSTLY_F16;
                    case BF16 -> LlamaFileType.MOSTLY_BF16;
                    default -> LlamaFileType.ALL_F32;
                };
            }
            Map<String, GgufValue> tokenizer = useSpModel
                    ? TokenizerJsonToGguf.fromSentencePiece(spModel, folder.resolve("tokenizer_config.json"), vocab)
                    : Files.isRegularFile(tokenizerJson)
                    ? TokenizerJsonToGguf.convert(tokenizerJson, folder.resolve("tokenizer_config.json"), vocab)
                    : TokenizerToGguf.padded(ByteLevelVocabToGguf.fromTiktoken(spModel,
                            TokenizerJsonToGguf.readConfig(folder.resolve("tokenizer_config.json"))), vocab, spModel);
            // ids the tokenizer files leave out come from config.json, as llama.cpp's SpecialVocab takes them
            if (!tokenizer.containsKey("tokenizer.ggml.bos_token_id") && cfg.bosTokenIds() != null && !cfg.bosTokenIds().isEmpty()) {
                tokenizer.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(cfg.bosTokenIds().getFirst()));
            }
            if (!tokenizer.containsKey("tokenizer.ggml.eos_token_id") && cfg.eosTokenIds() != null && !cfg.eosTokenIds().isEmpty()) {
                tokenizer.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(cfg.eosTokenIds().getFirst()));
            }
            int tokens = TokenizerToGguf.vocabSize(tokenizer);
            if (tokens != vocab) {
                throw new FormatException(useSpModel ? spModel : tokenizerJson, -1, "vocabulary", tokens + " token ids but the embedding has "
                        + vocab + " rows");
            }
            GgufWriter w = new GgufWriter();
            w.putString("general.architecture", arch);
            String name = cfg.raw().path("_name_or_path").asText("");
            name = name.substring(name.lastIndexOf('/') + 1);
            w.putString("general.name", name.isEmpty() ? folder.toAbsolutePath().getFileName().toString() : name);
            w.putUint32("general.alignment", GgufFile.DEFAULT_ALIGNMENT);
            w.putUint32("general.file_type", fileType.id());
            if (fileType.weightType().isQuantized()) {
                w.putUint32("general.quantization_version", 2);
            }
            w.putUint32(arch + ".context_length", cfg.contextLength().orElse(2048));
            w.putUint32(arch + ".embedding_length", width);
            w.putUint32(arch + ".block_count", layers);
            w.putUint32(arch + ".feed_forward_length", ff);
            w.putUint32(arch + ".attention.head_count", heads);
            w.putUint32(arch + ".attention.head_count_kv", kvHeads);
            w.putFloat32(arch + ".attention.layer_norm_rms_epsilon", (float) cfg.normEps().orElse(1e-6));
            w.putUint32(arch + ".vocab_size", vocab);
            double theta = cfg.ropeTheta() == null ? 10000.0 : cfg.ropeTheta();
            w.putFloat32(arch + ".rope.freq_base", (float) theta);
            w.putUint32(arch + ".rope.dimension_count", headSize);
            if (headSize * heads != width) {
                w.putUint32(arch + ".attention.key_length", headSize);
                w.putUint32(arch + ".attention.value_length", headSize);
            }
            float[] ropeFactors = ropeScaling(w, arch, cfg.ropeScaling(), theta, headSize, configFile);
            w.putAll(tokenizer);
            if (ropeFactors != null) {
                w.addTensor("rope_freqs.weight", Tensor.ofFloats(ropeFactors, ropeFactors.length));
            }
            for (int k = 0; k < items.size(); k++) {
                Item i = items.get(k);
                long[] shape = i.tensor().shape();
                long rowLength = shape[shape.length - 1];
                DType type = ConvertedTensorTypes.of(i.ggufName(), shape, fileType);
                w.addTensor(i.ggufName(), type, shape, ConvertedTensor.of(listener, k, items.size(), i.ggufName(),
                        i.tensor().type(), type, i.tensor().elements() / rowLength, rowLength,
                        new SourceRows(i.tensor(), i.order())));
            }
            w.write(out);
        }
    }

    // llama.cpp stores Llama 3 scaling as per-frequency factors in a tensor, and linear/yarn scaling as keys
    private static float[] ropeScaling(GgufWriter w, String arch, HfRopeScaling s, double theta, int headSize, Path file)
            throws FormatException {
        if (s == null || s.type() == null || s.factor() == null) {
            return null;
        }
        switch (s.type()) {
            case "linear", "yarn" -> {
                w.putString(arch + ".rope.scaling.type", s.type());
                w.putFloat32(arch + ".rope.scaling.factor", s.factor().floatValue());
                if (s.originalMaxPositionEmbeddings() != null) {
                    w.putUint32(arch + ".rope.scaling.original_context_length", s.originalMaxPositionEmbeddings());
                }
                return null;
            }
            case "llama3" -> {
                double factor = s.factor();
                double low = s.lowFreqFactor() == null ? 1.0 : s.lowFreqFactor();
                double high = s.highFreqFactor() == null ? 4.0 : s.highFreqFactor();
                double old = s.originalMaxPositionEmbeddings() == null ? 8192 : s.originalMaxPositionEmbeddings();
                double lowWavelen = old / low;
                double highWavelen = old / high;
                float[] out = new float[headSize / 2];
                for (int i = 0; i < out.length; i++) {
                    double freq = 1.0 / Math.pow(theta, (2.0 * i) / headSize);
                    double wavelen = 2 * Math.PI / freq;
                    if (wavelen < highWavelen) {
                        out[i] = 1f;
                    } else if (wavelen > lowWavelen) {
                        out[i] = (float) factor;
                    } else {
                        double smooth = (old / wavelen - low) / (high - low);
                        out[i] = (float) (1.0 / ((1 - smooth) / factor + smooth));
                    }
                }
                return out;
            }
            default -> throw new FormatException(file, -1, "rope_scaling.rope_type", "\"" + s.type()
                    + "\" is not converted; supported: linear, yarn, llama3");
        }
    }

    private static long rank(Item i) {
        String g = i.ggufName();
        if (g.equals("token_embd.weight")) {
            return 0;
        }
        if (g.startsWith("blk.")) {
            int dot = g.indexOf('.', 4);
            long layer = Long.parseLong(g.substring(4, dot));
            String rest = g.substring(dot + 1);
            int part = LAYER_ORDER.indexOf(rest.substring(0, rest.lastIndexOf('.')));
            return 1 + layer * 100 + part * 2L + (rest.endsWith(".bias") ? 1 : 0);
        }
        return g.equals("output_norm.weight") ? Long.MAX_VALUE - 1 : Long.MAX_VALUE;
    }

    private static int require(Path file, String field, int value) throws FormatException {
        if (value <= 0) {
            throw new FormatException(file, -1, field, "missing or not positive");
        }
        return value;
    }
}
