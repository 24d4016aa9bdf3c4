package dev.jllm.model.load;

import static dev.jllm.model.load.SafetensorsTensors.floats;
import static dev.jllm.model.load.SafetensorsTensors.optionalFloats;
import static dev.jllm.model.load.SafetensorsTensors.tensor;

import dev.jllm.core.quant.WeightKernels;
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
import dev.jllm.model.decoder.LayerWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An HF model folder ({@code config.json}, safetensors, tokenizer files) as a decoder. HF checkpoints
 * keep q and k rows in the order that rotates halves, so RoPE runs in that layout. GPT-2's Conv1D
 * matrices are stored input-major; they are the one case transposed into memory at load.
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
            DecoderWeights bound = family == DecoderFamily.GPT2 ? bindGpt2(weights, config, hf)
                    : bindLlamaLike(weights, config, hf);
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

    private static DecoderWeights bindLlamaLike(SafetensorsModel m, ModelConfig c, HfModelConfig hf)
            throws FormatException {
        Tensor embedding = tensor(m, "model.embed_tokens.weight");
        checkVocab(m, c, embedding);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new LayerWeights(floats(m, p + "input_layernorm.weight"), null,
                    tensor(m, p + "self_attn.q_proj.weight"), tensor(m, p + "self_attn.k_proj.weight"),
                    tensor(m, p + "self_attn.v_proj.weight"), optionalFloats(m, p + "self_attn.q_proj.bias"),
                    optionalFloats(m, p + "self_attn.k_proj.bias"), optionalFloats(m, p + "self_attn.v_proj.bias"),
                    c.qkNorm() ? floats(m, p + "self_attn.q_norm.weight") : null,
                    c.qkNorm() ? floats(m, p + "self_attn.k_norm.weight") : null,
                    tensor(m, p + "self_attn.o_proj.weight"), optionalFloats(m, p + "self_attn.o_proj.bias"),
                    floats(m, p + "post_attention_layernorm.weight"), null, tensor(m, p + "mlp.gate_proj.weight"),
                    tensor(m, p + "mlp.up_proj.weight"), null, tensor(m, p + "mlp.down_proj.weight"), null));
        }
        Tensor output = m.findTensor("lm_head.weight").isPresent() ? tensor(m, "lm_head.weight") : embedding;
        if (output == embedding && !hf.tiesWordEmbeddings()) {
            throw new FormatException(m.files().get(0).path(), -1, "lm_head.weight",
                    "missing, and config.json says the embeddings are not tied");
        }
        return new DecoderWeights(embedding, null, layers, floats(m, "model.norm.weight"), null, output);
    }

    private static DecoderWeights bindGpt2(SafetensorsModel m, ModelConfig c, HfModelConfig hf) throws FormatException {
        String root = m.findTensor("transformer.wte.weight").isPresent() ? "transformer." : "";
        Tensor embedding = tensor(m, root + "wte.weight");
        checkVocab(m, c, embedding);
        List<LayerWeights> layers = new ArrayList<>();
        int d = c.dim();
        for (int i = 0; i < c.layers(); i++) {
            String p = root + "h." + i + ".";
            Tensor qkv = transposed(m, p + "attn.c_attn.weight");
            float[] bqkv = floats(m, p + "attn.c_attn.bias");
            layers.add(new LayerWeights(floats(m, p + "ln_1.weight"), floats(m, p + "ln_1.bias"),
                    GgufDecoderBinding.rows(qkv, 0, d), GgufDecoderBinding.rows(qkv, d, d),
                    GgufDecoderBinding.rows(qkv, 2L * d, d), java.util.Arrays.copyOfRange(bqkv, 0, d),
                    java.util.Arrays.copyOfRange(bqkv, d, 2 * d), java.util.Arrays.copyOfRange(bqkv, 2 * d, 3 * d),
                    null, null, transposed(m, p + "attn.c_proj.weight"), floats(m, p + "attn.c_proj.bias"),
                    floats(m, p + "ln_2.weight"), floats(m, p + "ln_2.bias"), null,
                    transposed(m, p + "mlp.c_fc.weight"), floats(m, p + "mlp.c_fc.bias"),
                    transposed(m, p + "mlp.c_proj.weight"), floats(m, p + "mlp.c_proj.bias")));
        }
        Tensor output = m.findTensor("lm_head.weight").isPresent() ? tensor(m, "lm_head.weight") : embedding;
        return new DecoderWeights(embedding, tensor(m, root + "wpe.weight"), layers, floats(m, root + "ln_f.weight"),
                floats(m, root + "ln_f.bias"), output);
    }

    private static void checkVocab(SafetensorsModel m, ModelConfig c, Tensor embedding) throws FormatException {
        if (c.vocabSize() != embedding.rows()) {
            throw new FormatException(m.files().get(0).path(), -1, "vocab_size", "config.json says " + c.vocabSize()
                    + " but the embedding has " + embedding.rows() + " rows");
        }
    }

    /** An input-major (Conv1D) matrix as the output-major F32 matrix the kernels expect: a copy. */
    private static Tensor transposed(SafetensorsModel m, String name) throws FormatException {
        Tensor t = tensor(m, name);
        int in = Math.toIntExact(t.rows());
        int out = Math.toIntExact(t.cols());
        float[] src = new float[in * out];
        WeightKernels.simd(t.type()).dequantize(t.data(), 0, src, 0, src.length);
        float[] dst = new float[in * out];
        for (int r = 0; r < in; r++) {
            for (int col = 0; col < out; col++) {
                dst[col * in + r] = src[r * out + col];
            }
        }
        return Tensor.ofFloats(dst, out, in);
    }
}
