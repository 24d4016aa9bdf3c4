package dev.jllm.model.t5;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.convert.TensorNaming;
import dev.jllm.formats.gguf.GgufArchitecturePeek;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.hf.HfGenerationConfig;
import dev.jllm.formats.hf.HfModelConfig;
import dev.jllm.formats.hf.HfT5Fields;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.safetensors.SafetensorsTensorInfo;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A T5 model opened from a GGUF file (llama.cpp's {@code t5} architecture) or an HF folder
 * ({@code T5ForConditionalGeneration}: {@code config.json} + safetensors): its configuration, its weights
 * (views into the mapped file), its tokenizer when it has one, and the ids that end generation. Closing it
 * unmaps the file, after which the weights must not be used.
 *
 * <p>A GGUF file has no flag for a tied head: one without {@code output.weight} is tied (and so scaled),
 * as llama.cpp's loader reads it. An HF folder says so in {@code tie_word_embeddings}.
 */
public final class LoadedT5 implements AutoCloseable {
    private final Path source;
    private final String format;
    private final T5Config config;
    private final T5Weights weights;
    private final Tokenizer tokenizer;
    private final int[] endIds;
    private final AutoCloseable resource;

    private LoadedT5(Path source, String format, T5Config config, T5Weights weights, Tokenizer tokenizer,
            Set<Integer> endIds, AutoCloseable resource) {
        this.source = source;
        this.format = format;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        Set<Integer> ids = new LinkedHashSet<>();
        if (tokenizer != null) {
            for (int id : tokenizer.eosIds()) {
                ids.add(id);
            }
        }
        ids.addAll(endIds);
        this.endIds = ids.stream().mapToInt(Integer::intValue).toArray();
        this.resource = resource;
    }

    /**
     * Whether {@code path} is a T5 model: a GGUF file whose {@code general.architecture} is {@code t5}, or a
     * folder whose {@code config.json} says {@code "model_type": "t5"}. Anything unreadable is not.
     */
    public static boolean isT5(Path path) {
        try {
            if (Files.isDirectory(path)) {
                Path config = path.resolve("config.json");
                return Files.isRegularFile(config) && "t5".equals(HfModelConfig.read(config).modelType());
            }
            if (Files.isRegularFile(path)) {
                return GgufArchitecturePeek.of(path).map("t5"::equals).orElse(false);
            }
        } catch (IOException | RuntimeException e) {
            return false; // the caller's own loader reports what is wrong with it
        }
        return false;
    }

    /**
     * Opens a T5 model.
     *
     * @throws FormatException naming the file and field when it is not a T5 model jllm can run
     * @throws IOException when it cannot be read
     */
    public static LoadedT5 open(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new FormatException(path, -1, "", "no such file or folder");
        }
        if (Files.isDirectory(path)) {
            return openHf(path);
        }
        if (!GgufFile.hasMagic(path)) {
            throw new FormatException(path, 0, "", "not a GGUF file or an HF model folder");
        }
        return openGguf(path);
    }

    private static LoadedT5 openGguf(Path path) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            String arch = file.getString("general.architecture");
            if (!arch.equals("t5")) {
                throw new FormatException(path, -1, "general.architecture", "is '" + arch + "', not t5");
            }
            T5TensorBinding binding = new T5TensorBinding(ggufSource(file));
            Tensor embedding = binding.tensor("token_embd.weight");
            String p = "t5.";
            int dim = positive(file, p + "embedding_length");
            int layers = positive(file, p + "block_count");
            int heads = positive(file, p + "attention.head_count");
            boolean gated = file.findTensor("enc.blk.0.ffn_gate.weight").isPresent();
            T5Config config;
            try {
                config = new T5Config((int) embedding.rows(), dim, layers,
                        (int) file.getLong(p + "decoder_block_count", layers), heads,
                        (int) file.getLong(p + "attention.head_count_kv", heads),
                        (int) file.getLong(p + "attention.key_length", dim / heads),
                        positive(file, p + "feed_forward_length"),
                        (int) file.getLong(p + "attention.relative_buckets_count", 32), T5Config.DEFAULT_MAX_DISTANCE,
                        (float) file.getDouble(p + "attention.layer_norm_rms_epsilon"),
                        gated ? T5Config.Mlp.GATED_GELU : T5Config.Mlp.RELU,
                        file.findTensor("output.weight").isEmpty(),
                        (int) file.getLong(p + "decoder_start_token_id", file.getLong("tokenizer.ggml.padding_token_id", 0)),
                        (int) file.getLong(p + "context_length", 512));
            } catch (IllegalArgumentException e) {
                throw new FormatException(path, -1, "t5", e.getMessage());
            }
            T5Weights weights = checked(path, config, binding.bind(config, embedding));
            Tokenizer tokenizer = file.has("tokenizer.ggml.model")
                    ? GgufTokenizerMetadata.fromGgufMetadata(file.metadata(), path) : null;
            Set<Integer> ends = new LinkedHashSet<>();
            file.findLong("tokenizer.ggml.eos_token_id").ifPresent(id -> ends.add((int) id));
            return new LoadedT5(path, "gguf", config, weights, tokenizer, ends, file);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static T5TensorBinding.Source ggufSource(GgufFile file) {
        return new T5TensorBinding.Source() {
            @Override
            public boolean has(String name) {
                return file.findTensor(name).isPresent();
            }

            @Override
            public Tensor tensor(String name) throws FormatException {
                GgufTensorInfo info = file.findTensor(name).orElseThrow();
                if (!info.hasKernels()) {
                    throw new FormatException(file.path(), info.offset(), name, "tensor type " + info.ggmlType()
                            + " has no kernels in jllm");
                }
                return file.tensor(name);
            }

            @Override
            public Path fileOf(String name) {
                return file.path();
            }
        };
    }

    private static LoadedT5 openHf(Path folder) throws IOException {
        Path configFile = folder.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new FormatException(folder, -1, "config.json", "an HF model folder needs config.json");
        }
        HfModelConfig hf = HfModelConfig.read(configFile);
        if (!"t5".equals(hf.modelType())) {
            throw new FormatException(configFile, -1, "model_type", "is '" + hf.modelType() + "', not t5");
        }
        HfT5Fields t5 = hf.t5();
        String proj = t5.feedForwardProj() == null ? "relu" : t5.feedForwardProj().toLowerCase(Locale.ROOT);
        T5Config.Mlp mlp = switch (proj) {
            case "relu" -> T5Config.Mlp.RELU;
            case "gated-gelu" -> T5Config.Mlp.GATED_GELU;
            default -> throw new FormatException(configFile, -1, "feed_forward_proj", "'" + proj
                    + "' is not supported; supported: relu, gated-gelu");
        };
        SafetensorsModel st = SafetensorsModel.open(folder);
        try {
            T5TensorBinding binding = new T5TensorBinding(hfSource(st, folder, mlp == T5Config.Mlp.GATED_GELU));
            Tensor embedding = binding.tensor(T5TensorNames.global(T5TensorNames.Global.EMBEDDING));
            int layers = required(configFile, "num_layers", t5.numLayers());
            T5Config config;
            try {
                config = new T5Config((int) embedding.rows(), required(configFile, "d_model", t5.dModel()), layers,
                        t5.numDecoderLayers() == null ? layers : t5.numDecoderLayers(),
                        required(configFile, "num_heads", t5.numHeads()), required(configFile, "num_heads", t5.numHeads()),
                        required(configFile, "d_kv", t5.dKv()), required(configFile, "d_ff", t5.dFf()),
                        t5.relativeAttentionNumBuckets() == null ? 32 : t5.relativeAttentionNumBuckets(),
                        t5.relativeAttentionMaxDistance() == null ? T5Config.DEFAULT_MAX_DISTANCE
                                : t5.relativeAttentionMaxDistance(),
                        (float) hf.normEps().orElse(1e-6), mlp, hf.tiesWordEmbeddings(),
                        t5.decoderStartTokenId() == null ? 0 : t5.decoderStartTokenId(),
                        hf.contextLength().orElse(512));
            } catch (IllegalArgumentException e) {
                throw new FormatException(configFile, -1, "", e.getMessage());
            }
            T5Weights weights = checked(configFile, config, binding.bind(config, embedding));
            Tokenizer tokenizer = Files.isRegularFile(folder.resolve("tokenizer.json"))
                    || Files.isRegularFile(folder.resolve("tokenizer.model")) ? TokenizerLoader.load(folder) : null;
            Set<Integer> ends = new LinkedHashSet<>();
            if (hf.eosTokenIds() != null) {
                ends.addAll(hf.eosTokenIds());
            }
            Path generation = folder.resolve("generation_config.json");
            if (Files.isRegularFile(generation)) {
                List<Integer> eos = HfGenerationConfig.read(generation).eosTokenIds();
                if (eos != null) {
                    ends.addAll(eos);
                }
            }
            return new LoadedT5(folder, "hf", config, weights, tokenizer, ends, st);
        } catch (IOException | RuntimeException e) {
            st.close();
            throw e;
        }
    }

    /** An HF folder's tensors under their GGUF names, paired by the converters' table ({@link TensorNaming}). */
    private static T5TensorBinding.Source hfSource(SafetensorsModel st, Path folder, boolean gated) {
        Map<String, String> hfName = new HashMap<>();
        for (SafetensorsTensorInfo t : st.tensors()) {
            String gguf = TensorNaming.toGguf("t5", t.name());
            if (gguf != null) {
                hfName.putIfAbsent(gguf, t.name());
            }
        }
        // some checkpoints keep the embedding only under the encoder's name
        if (!hfName.containsKey("token_embd.weight") && st.findTensor("encoder.embed_tokens.weight").isPresent()) {
            hfName.put("token_embd.weight", "encoder.embed_tokens.weight");
        }
        return new T5TensorBinding.Source() {
            @Override
            public boolean has(String name) {
                return hfName.containsKey(name);
            }

            @Override
            public Tensor tensor(String name) {
                return st.tensor(hfName.get(name));
            }

            @Override
            public Path fileOf(String name) {
                String hf = hfName.get(name);
                return hf == null ? folder : st.fileOf(hf).map(f -> f.path()).orElse(folder);
            }

            @Override
            public String nameInFile(String name) {
                String hf = hfName.containsKey(name) ? hfName.get(name) : TensorNaming.toHf("t5", name, gated);
                return hf != null ? hf : name;
            }
        };
    }

    private static T5Weights checked(Path file, T5Config config, T5Weights weights) throws FormatException {
        try {
            T5Shapes.check(config, weights);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, -1, "", e.getMessage());
        }
        return weights;
    }

    private static int positive(GgufFile file, String key) throws FormatException {
        long v = file.getLong(key);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new FormatException(file.path(), -1, key, "must be a positive 32-bit count, got " + v);
        }
        return (int) v;
    }

    private static int required(Path file, String field, Integer value) throws FormatException {
        if (value == null || value <= 0) {
            throw new FormatException(file, -1, field, "missing or not positive");
        }
        return value;
    }

    /** The file or folder the model came from. */
    public Path source() {
        return source;
    }

    /** {@code gguf} or {@code hf}. */
    public String format() {
        return format;
    }

    /** The model's shape and options. */
    public T5Config config() {
        return config;
    }

    /** Its weights. */
    public T5Weights weights() {
        return weights;
    }

    /** Its tokenizer, when the file has one. */
    public Optional<Tokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** The ids that end generation: the tokenizer's EOS ids and those the file lists. */
    public int[] endIds() {
        return endIds.clone();
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        try {
            resource.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + source + ": " + e.getMessage(), e);
        }
    }
}
