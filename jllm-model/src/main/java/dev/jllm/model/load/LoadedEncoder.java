package dev.jllm.model.load;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.encoder.Encoder;
import dev.jllm.model.encoder.EncoderConfig;
import dev.jllm.model.encoder.EncoderWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A BERT-family encoder opened from a file or folder: its configuration, its weights (views into the
 * mapped file) and its tokenizer. Closing it unmaps the file, after which the weights must not be used.
 *
 * <p>Accepted: an HF folder ({@code config.json} with {@code model_type} bert, safetensors with or
 * without the {@code bert.} prefix, {@code tokenizer.json} or {@code vocab.txt}, and sentence-transformers'
 * {@code modules.json} for the pooling); a GGUF file of llama.cpp's {@code bert} architecture.
 */
public final class LoadedEncoder implements AutoCloseable {
    private final Path source;
    private final String format;
    private final EncoderConfig config;
    private final EncoderWeights weights;
    private final Tokenizer tokenizer;
    private final boolean normalizes;
    private final AutoCloseable resource;

    LoadedEncoder(Path source, String format, EncoderConfig config, EncoderWeights weights, Tokenizer tokenizer,
            boolean normalizes, AutoCloseable resource) throws FormatException {
        try {
            Encoder.checkShapes(config, weights);
        } catch (IllegalArgumentException e) {
            throw new FormatException(source, -1, "", e.getMessage());
        }
        this.source = source;
        this.format = format;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.normalizes = normalizes;
        this.resource = resource;
    }

    /**
     * Opens an encoder.
     *
     * @throws FormatException naming the file and field when it is not an encoder jllm can run
     * @throws IOException when it cannot be read
     */
    public static LoadedEncoder open(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new FormatException(path, -1, "", "no such file or folder");
        }
        if (Files.isDirectory(path)) {
            return HfFolderEncoder.open(path);
        }
        if (GgufFile.hasMagic(path)) {
            return GgufEncoderBinding.open(path);
        }
        throw new FormatException(path, -1, "", "not a GGUF file or an HF model folder");
    }

    /**
     * Whether {@code path} holds an encoder {@link #open} takes (an HF folder whose {@code config.json} says
     * {@code model_type} bert, or a GGUF file of architecture bert), judged from its metadata alone; a server
     * or CLI uses it to pick between this and {@link LoadedModel}. Unreadable or unknown files are not.
     */
    public static boolean isEncoder(Path path) {
        try {
            if (Files.isDirectory(path)) {
                Path config = path.resolve("config.json");
                return Files.isRegularFile(config)
                        && "bert".equals(dev.jllm.formats.hf.HfModelConfig.read(config).modelType());
            }
            if (GgufFile.hasMagic(path)) {
                try (GgufFile file = GgufFile.open(path)) {
                    return file.findString("general.architecture").map("bert"::equals).orElse(false);
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
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
    public EncoderConfig config() {
        return config;
    }

    /** Its weights. */
    public EncoderWeights weights() {
        return weights;
    }

    /** Its tokenizer, when the file has one. */
    public Optional<Tokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** Whether the model's files ask for L2-normalised sentence vectors (sentence-transformers' Normalize). */
    public boolean normalizes() {
        return normalizes;
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
