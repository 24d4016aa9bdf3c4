package dev.jllm.model.load;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.llama2c.Llama2cCheckpoint;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.decoder.DecoderWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * A decoder model opened from a file or folder: its configuration, its weights (views into the mapped
 * file), and what came with it — tokenizer, chat template, end-of-generation ids. Closing it unmaps
 * the file, after which the weights must not be used.
 *
 * <p>Accepted: a GGUF file; a llama2.c checkpoint ({@code .bin}, with a {@code tokenizer.bin} next to
 * it when there is one); an HF folder ({@code config.json} + safetensors).
 */
public final class LoadedModel implements AutoCloseable {
    /** Text of control tokens that end a turn, as llama.cpp also recognises them when a file does not list them. */
    private static final Set<String> END_OF_TURN_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>",
            "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "<|end_of_text|>", "<｜end▁of▁sentence｜>");

    private final Path source;
    private final String format;
    private final ModelConfig config;
    private final DecoderWeights weights;
    private final Tokenizer tokenizer;
    private final String chatTemplate;
    private final int[] endIds;
    private final long fileBytes;
    private final AutoCloseable resource;

    LoadedModel(Path source, String format, ModelConfig config, DecoderWeights weights, Tokenizer tokenizer,
            String chatTemplate, int[] extraEndIds, long fileBytes, AutoCloseable resource) throws FormatException {
        try {
            Decoder.checkShapes(config, weights);
        } catch (IllegalArgumentException e) {
            throw new FormatException(source, -1, "", e.getMessage());
        }
        this.source = source;
        this.format = format;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.endIds = endIds(tokenizer, extraEndIds);
        this.fileBytes = fileBytes;
        this.resource = resource;
    }

    /**
     * Opens a model.
     *
     * @throws FormatException naming the file and field when it is not a model jllm can run
     * @throws IOException when it cannot be read
     */
    public static LoadedModel open(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new FormatException(path, -1, "", "no such file or folder");
        }
        if (Files.isDirectory(path)) {
            return HfFolderDecoder.open(path);
        }
        if (looksLikeGguf(path)) {
            return openGguf(path);
        }
        if (path.getFileName().toString().endsWith(".bin")) {
            return openLlama2c(path);
        }
        throw new FormatException(path, -1, "", "not a GGUF file, a llama2.c checkpoint (.bin) or an HF model folder");
    }

    private static boolean looksLikeGguf(Path path) throws IOException {
        try (var in = Files.newInputStream(path)) {
            byte[] magic = in.readNBytes(4);
            return Arrays.equals(magic, new byte[] {'G', 'G', 'U', 'F'});
        }
    }

    private static LoadedModel openGguf(Path path) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            ModelConfig config = GgufDecoderBinding.config(file);
            DecoderWeights weights = GgufDecoderBinding.bind(file, config);
            Tokenizer tokenizer = file.has("tokenizer.ggml.model")
                    ? GgufTokenizerMetadata.fromGgufMetadata(file.metadata(), path) : null;
            int[] extra = new int[] {(int) file.getLong("tokenizer.ggml.eot_token_id", -1),
                    (int) file.getLong("tokenizer.ggml.eom_token_id", -1)};
            return new LoadedModel(path, "gguf", config, weights, tokenizer,
                    file.findString("tokenizer.chat_template").orElse(null), extra, file.fileSize(), file);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static LoadedModel openLlama2c(Path path) throws IOException {
        Llama2cCheckpoint checkpoint = Llama2cCheckpoint.open(path);
        try {
            ModelConfig config = Llama2cDecoderBinding.config(checkpoint.config());
            Path tokenizerFile = path.resolveSibling("tokenizer.bin");
            Tokenizer tokenizer = null;
            if (Files.isRegularFile(tokenizerFile) && !tokenizerFile.equals(path)) {
                tokenizer = TokenizerLoader.load(tokenizerFile);
                if (tokenizer.vocabSize() != config.vocabSize()) {
                    tokenizer = null; // a tokenizer.bin of another model: ids would not match
                }
            }
            return new LoadedModel(path, "llama2.c", config, Llama2cDecoderBinding.bind(checkpoint), tokenizer, null,
                    new int[0], Files.size(path), checkpoint);
        } catch (IOException | RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    private static int[] endIds(Tokenizer tokenizer, int[] extra) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (tokenizer != null) {
            for (int id : tokenizer.eosIds()) {
                ids.add(id);
            }
            for (int id = 0; id < tokenizer.vocabSize(); id++) {
                if (tokenizer.isSpecial(id) && END_OF_TURN_TEXTS.contains(tokenizer.token(id))) {
                    ids.add(id);
                }
            }
        }
        for (int id : extra) {
            if (id >= 0) {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The file or folder the model came from. */
    public Path source() {
        return source;
    }

    /** {@code gguf}, {@code llama2.c} or {@code hf}. */
    public String format() {
        return format;
    }

    /** The model's shape and options. */
    public ModelConfig config() {
        return config;
    }

    /** Its weights. */
    public DecoderWeights weights() {
        return weights;
    }

    /** Its tokenizer, when the file has one. */
    public Optional<Tokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** Its Jinja chat template, when the file has one. */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /** Every id that ends generation: the EOS ids, end-of-turn ids and the file's EOT/EOM ids. */
    public int[] endIds() {
        return endIds.clone();
    }

    /** Bytes of the model file(s). */
    public long fileBytes() {
        return fileBytes;
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
