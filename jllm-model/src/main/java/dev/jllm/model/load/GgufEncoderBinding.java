package dev.jllm.model.load;

import static dev.jllm.model.load.GgufTensors.intKey;
import static dev.jllm.model.load.GgufTensors.tensor;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata;
import dev.jllm.model.encoder.EncoderConfig;
import dev.jllm.model.encoder.EncoderWeights;
import dev.jllm.model.encoder.Pooling;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A GGUF file of llama.cpp's {@code bert} architecture as an encoder: metadata {@code bert.embedding_length},
 * {@code bert.pooling_type} (1 mean, 2 CLS, 3 last), … and tensors {@code token_embd}, {@code token_types},
 * {@code position_embd}, {@code token_embd_norm}, {@code blk.N.attn_q}, {@code blk.N.attn_output_norm},
 * {@code blk.N.layer_output_norm}, …, bound as views into the mapped file.
 */
final class GgufEncoderBinding {
    private GgufEncoderBinding() {
    }

    static LoadedEncoder open(Path path) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            EncoderConfig config = config(file);
            EncoderWeights weights = bind(file, config);
            Tokenizer tokenizer = file.has("tokenizer.ggml.model")
                    ? GgufTokenizerMetadata.fromGgufMetadata(file.metadata(), path) : null;
            return new LoadedEncoder(path, "gguf", config, weights, tokenizer, false, file);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    static EncoderConfig config(GgufFile file) throws FormatException {
        String arch = file.getString("general.architecture");
        if (!arch.equals("bert")) {
            throw new FormatException(file.path(), -1, "general.architecture", "architecture '" + arch
                    + "' is not an encoder jllm runs; supported: bert");
        }
        String p = arch + ".";
        Tensor words = tensor(file, "token_embd.weight");
        Tensor types = file.findTensor("token_types.weight").isPresent() ? tensor(file, "token_types.weight") : null;
        Pooling pooling = switch ((int) file.getLong(p + "pooling_type", 1)) {
            case 2 -> Pooling.CLS;
            case 3 -> Pooling.LAST;
            default -> Pooling.MEAN;
        };
        try {
            return new EncoderConfig(arch, (int) file.getLong(p + "vocab_size", words.rows()),
                    intKey(file, p + "embedding_length"), intKey(file, p + "block_count"),
                    intKey(file, p + "attention.head_count"), intKey(file, p + "feed_forward_length"),
                    intKey(file, p + "context_length"), types == null ? 0 : Math.toIntExact(types.rows()),
                    (float) file.getDouble(p + "attention.layer_norm_epsilon"), EncoderConfig.Activation.GELU_ERF,
                    pooling);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file.path(), -1, arch, e.getMessage());
        }
    }

    static EncoderWeights bind(GgufFile file, EncoderConfig c) throws FormatException {
        return EncoderTensorBinding.bind(GgufTensors.named(file), c);
    }
}
