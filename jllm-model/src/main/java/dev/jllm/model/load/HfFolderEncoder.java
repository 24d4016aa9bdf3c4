package dev.jllm.model.load;


import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.hf.HfModelConfig;
import dev.jllm.formats.hf.SentenceTransformersModules;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import dev.jllm.model.encoder.EncoderConfig;
import dev.jllm.model.encoder.EncoderWeights;
import dev.jllm.model.encoder.Pooling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * An HF BERT folder as an encoder: {@code config.json} ({@code model_type} bert), safetensors named as
 * {@code BertModel} writes them (with or without the {@code bert.} prefix of the task models; LayerNorm
 * scale and shift named weight/bias or, from TensorFlow conversions, gamma/beta), {@code tokenizer.json}
 * or {@code vocab.txt}, and sentence-transformers' {@code modules.json} for pooling and normalisation.
 */
final class HfFolderEncoder {
    private HfFolderEncoder() {
    }

    static LoadedEncoder open(Path folder) throws IOException {
        Path configFile = folder.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new FormatException(folder, -1, "config.json", "an HF model folder needs config.json");
        }
        HfModelConfig hf = HfModelConfig.read(configFile);
        if (!"bert".equals(hf.modelType())) {
            throw new FormatException(configFile, -1, "model_type", "model type '" + hf.modelType()
                    + "' is not an encoder jllm runs; supported: bert");
        }
        SentenceTransformersModules modules = SentenceTransformersModules.read(folder);
        SafetensorsModel m = SafetensorsModel.open(folder);
        try {
            NamedTensors named = new HfNamedTensors(m, "bert");
            Tensor types = named.has("token_types.weight") ? named.tensor("token_types.weight") : null;
            EncoderConfig config = config(hf, configFile, types, switch (modules.pooling()) {
                case CLS -> Pooling.CLS;
                case LAST -> Pooling.LAST;
                case MEAN -> Pooling.MEAN;
            });
            EncoderWeights weights = EncoderTensorBinding.bind(named, config);
            Tokenizer tokenizer = hasTokenizer(folder) ? TokenizerLoader.load(folder) : null;
            return new LoadedEncoder(folder, "hf", config, weights, tokenizer, modules.normalizes(), m);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static boolean hasTokenizer(Path folder) {
        return Files.isRegularFile(folder.resolve("tokenizer.json")) || Files.isRegularFile(folder.resolve("vocab.txt"));
    }

    private static EncoderConfig config(HfModelConfig hf, Path file, Tensor types, Pooling pooling)
            throws FormatException {
        String act = hf.hiddenAct() == null ? "gelu" : hf.hiddenAct().toLowerCase(Locale.ROOT);
        EncoderConfig.Activation activation = switch (act) {
            case "gelu" -> EncoderConfig.Activation.GELU_ERF;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> EncoderConfig.Activation.GELU_TANH;
            case "relu" -> EncoderConfig.Activation.RELU;
            default -> throw new FormatException(file, -1, "hidden_act", "activation '" + hf.hiddenAct()
                    + "' is not supported; supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu");
        };
        try {
            return new EncoderConfig("bert", required(hf.vocabSize(), file, "vocab_size"),
                    required(hf.hiddenSize(), file, "hidden_size"),
                    required(hf.numHiddenLayers(), file, "num_hidden_layers"),
                    required(hf.numAttentionHeads(), file, "num_attention_heads"),
                    required(hf.intermediateSize(), file, "intermediate_size"),
                    required(hf.maxPositionEmbeddings(), file, "max_position_embeddings"),
                    types == null ? 0 : Math.toIntExact(types.rows()), (float) hf.normEps().orElse(1e-12), activation,
                    pooling);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, -1, "", e.getMessage());
        }
    }

    private static int required(Integer v, Path file, String field) throws FormatException {
        if (v == null) {
            throw new FormatException(file, -1, field, "missing");
        }
        return v;
    }
}
