package dev.jllm.model.load;


import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.hf.HfGenerationConfig;
import dev.jllm.formats.hf.HfModelConfig;
import dev.jllm.formats.hf.HfRopeScaling;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import dev.jllm.model.DecoderFamily;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.RopeScaling;
import dev.jllm.model.decoder.DecoderWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * An HF model folder ({@code config.json}, safetensors, tokenizer files) as a decoder, its tensors bound under
 * their GGUF names ({@link HfNamedTensors}) by the same code as a GGUF file's. HF checkpoints keep q and k rows in
 * the order that rotates halves, so RoPE runs in that layout. GPT-2's Conv1D matrices are stored input-major; they
 * are the one case transposed into memory at load.
 */
final class HfFolderDecoder {
    private HfFolderDecoder() {
    }

    static LoadedModel open(Path folder) throws IOException {
        Path configFile = folder.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new FormatException(folder, -1, "config.json", "an HF model folder needs config.json");
        }
        HfModelConfig hf = HfModelConfig.read(configFile);
        String type = hf.modelType() == null ? "" : hf.modelType();
        DecoderFamily family = DecoderFamily.of(type).orElseThrow(() -> new FormatException(configFile, -1,
                "model_type", "model type '" + type + "' is not supported; supported: "
                        + DecoderFamily.supportedNames()));
        SafetensorsModel weights = SafetensorsModel.open(folder);
        try {
            ModelConfig config = config(hf, family, weights, configFile);
            DecoderWeights bound = DecoderTensorBinding.bind(new HfNamedTensors(weights, family.ggufName()), config);
            checkVocab(weights, config, bound.tokenEmbedding());
            Tokenizer tokenizer = hasTokenizer(folder) ? TokenizerLoader.load(folder) : null;
            String template = HfTokenizerConfig.defaultChatTemplateOf(folder).orElse(null);
            int[] extra = new int[0];
            Path generation = folder.resolve("generation_config.json");
            if (Files.isRegularFile(generation)) {
                List<Integer> eos = HfGenerationConfig.read(generation).eosTokenIds();
                extra = eos == null ? extra : eos.stream().mapToInt(Integer::intValue).toArray();
            }
            long bytes = 0;
            for (var f : weights.files()) {
                bytes += Files.size(f.path());
            }
            return new LoadedModel(folder, "hf", config, bound, tokenizer, template, extra, bytes, weights);
        } catch (IOException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    private static boolean hasTokenizer(Path folder) {
        for (String name : new String[] {"tokenizer.json", "tokenizer.model", "vocab.json", "tiktoken.model"}) {
            if (Files.isRegularFile(folder.resolve(name))) {
                return true;
            }
        }
        return false;
    }

    private static ModelConfig config(HfModelConfig hf, DecoderFamily family, SafetensorsModel weights, Path file)
            throws FormatException {
        int dim = required(hf.width(), file, "hidden_size");
        int heads = required(hf.heads(), file, "num_attention_heads");
        int headDim = required(hf.headSize(), file, "head_dim");
        int vocab = hf.vocabSize() != null ? hf.vocabSize() : 0;
        double eps = hf.normEps().orElse(family.norm() == ModelConfig.Norm.RMS ? 1e-6 : 1e-5);
        boolean rope = family.positions() != ModelConfig.Positions.LEARNED;
        int window = "mistral".equals(hf.modelType()) && hf.slidingWindow() != null ? hf.slidingWindow() : 0;
        try {
            return new ModelConfig(family.ggufName(), vocab, dim, required(hf.layers(), file, "num_hidden_layers"),
                    heads, required(hf.kvHeads(), file, "num_key_value_heads"), headDim,
                    required(hf.feedForwardWidth(), file, "intermediate_size"),
                    required(hf.contextLength(), file, "max_position_embeddings"), family.norm(), (float) eps,
                    rope ? ModelConfig.Positions.ROPE_HALVES : ModelConfig.Positions.LEARNED, rope ? headDim : 0,
                    rope ? (hf.ropeTheta() != null ? hf.ropeTheta() : 10000.0) : 0,
                    rope ? ropeScaling(hf.ropeScaling(), file) : RopeScaling.NONE, family.mlp(), family.qkNorm(),
                    window);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, -1, "", e.getMessage());
        }
    }

    private static RopeScaling ropeScaling(HfRopeScaling s, Path file) throws FormatException {
        if (s == null || s.type() == null || s.type().equalsIgnoreCase("default")) {
            return RopeScaling.NONE;
        }
        try {
            return switch (s.type().toLowerCase(Locale.ROOT)) {
                case "linear" -> new RopeScaling.Linear(s.factor());
                case "llama3" -> new RopeScaling.Llama3(s.factor(), s.lowFreqFactor(), s.highFreqFactor(),
                        s.originalMaxPositionEmbeddings());
                default -> throw new FormatException(file, -1, "rope_scaling.rope_type", "RoPE scaling '" + s.type()
                        + "' is not supported; supported: default, linear, llama3");
            };
        } catch (NullPointerException | IllegalArgumentException e) {
            throw new FormatException(file, -1, "rope_scaling", "incomplete or invalid: " + e.getMessage());
        }
    }

    private static int required(java.util.OptionalInt v, Path file, String field) throws FormatException {
        if (v.isEmpty()) {
            throw new FormatException(file, -1, field, "missing");
        }
        return v.getAsInt();
    }

    private static void checkVocab(SafetensorsModel m, ModelConfig c, Tensor embedding) throws FormatException {
        if (c.vocabSize() != embedding.rows()) {
            throw new FormatException(m.files().get(0).path(), -1, "vocab_size", "config.json says " + c.vocabSize()
                    + " but the embedding has " + embedding.rows() + " rows");
        }
    }
}
