package dev.jllm.formats.convert;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.tokenizer.load.Llama2cTokenizerFile;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.tokenizer.TokenType;
import dev.jllm.formats.tokenizer.load.TiktokenFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GGUF tokenizer metadata ({@code tokenizer.ggml.*}, {@code tokenizer.chat_template*}) of a tokenizer in
 * any file format jllm reads, written as llama.cpp's converter writes it: a GGUF file (its tokenizer keys
 * copied), a Hugging Face {@code tokenizer.json} (BPE or WordPiece), a SentencePiece model (BPE or Unigram), a
 * tiktoken rank file, GPT-2's {@code vocab.json} with {@code merges.txt}, BERT's {@code vocab.txt}, or a folder
 * holding one of them. A {@code tokenizer_config.json} beside the file supplies special tokens, BOS/EOS flags
 * and chat templates.
 */
public final class TokenizerToGguf {
    /** A folder's files in the order they are preferred, SentencePiece first as llama.cpp prefers it. */
    private static final List<String> FOLDER_FILES = List.of("tokenizer.model", "spiece.model", "tokenizer.json",
            "tiktoken.model", "vocab.json", "vocab.txt");

    private TokenizerToGguf() {
    }

    /**
     * The tokenizer metadata of {@code source}, a tokenizer file or a folder holding one.
     *
     * @throws FormatException naming the file when it is no tokenizer jllm converts or is malformed
     */
    public static Map<String, GgufValue> metadata(Path source) throws IOException {
        if (Files.isDirectory(source)) {
            for (String name : FOLDER_FILES) {
                Path f = source.resolve(name);
                if (Files.isRegularFile(f)) {
                    return ofFile(f);
                }
            }
            try (var files = Files.list(source)) {
                var gguf = files.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().findFirst();
                if (gguf.isPresent()) {
                    return ofFile(gguf.get());
                }
            }
            throw new FormatException(source, -1, "", "no tokenizer.model, spiece.model, tokenizer.json, "
                    + "tiktoken.model, vocab.json, vocab.txt or .gguf file in this folder");
        }
        return ofFile(source);
    }

    /** The vocabulary size of tokenizer metadata: the length of {@code tokenizer.ggml.tokens}. */
    public static int vocabSize(Map<String, GgufValue> tokenizer) {
        return ((List<?>) tokenizer.get("tokenizer.ggml.tokens").value()).size();
    }

    /**
     * {@code tokenizer} grown to {@code size} tokens with unused {@code [PADn]} tokens (score -10000), as llama.cpp
     * pads a vocabulary to the model's embedding rows.
     *
     * @throws FormatException naming {@code source} when the tokenizer has more tokens than {@code size}
     */
    static Map<String, GgufValue> padded(Map<String, GgufValue> tokenizer, int size, Path source) throws FormatException {
        int n = vocabSize(tokenizer);
        if (n > size) {
            throw new FormatException(source, -1, "vocabulary", n + " token ids but the embedding has " + size + " rows");
        }
        if (n == size) {
            return tokenizer;
        }
        Map<String, GgufValue> out = new LinkedHashMap<>(tokenizer);
        List<Object> tokens = new ArrayList<>((List<?>) tokenizer.get("tokenizer.ggml.tokens").value());
        List<Object> types = tokenizer.containsKey("tokenizer.ggml.token_type")
                ? new ArrayList<>((List<?>) tokenizer.get("tokenizer.ggml.token_type").value()) : null;
        List<Object> scores = tokenizer.containsKey("tokenizer.ggml.scores")
                ? new ArrayList<>((List<?>) tokenizer.get("tokenizer.ggml.scores").value()) : null;
        for (int id = n; id < size; id++) {
            tokens.add("[PAD" + id + "]");
            if (types != null) {
                types.add(TokenType.UNUSED.code());
            }
            if (scores != null) {
                scores.add(-10000f);
            }
        }
        out.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        if (types != null) {
            out.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        }
        if (scores != null) {
            out.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        }
        return out;
    }

    private static Map<String, GgufValue> ofFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        String name = file.getFileName().toString();
        Path config = file.toAbsolutePath().resolveSibling("tokenizer_config.json");
        if (GgufFile.hasMagic(file)) {
            return fromGguf(file);
        }
        if (name.equals("vocab.json") || name.endsWith("-vocab.json")) {
            Path merges = file.resolveSibling(name.replace("vocab.json", "merges.txt"));
            if (!Files.isRegularFile(merges)) {
                throw new FormatException(merges, -1, "", "GPT-2's vocab.json needs merges.txt next to it");
            }
            return ByteLevelVocabToGguf.fromVocabAndMerges(file, merges, TokenizerJsonToGguf.readConfig(config));
        }
        if (name.endsWith(".json")) {
            return TokenizerJsonToGguf.convert(file, config, 0);
        }
        if (name.endsWith(".model") || name.endsWith(".tiktoken")) {
            if (TiktokenFile.looksLikeTiktoken(file)) {
                return ByteLevelVocabToGguf.fromTiktoken(file, TokenizerJsonToGguf.readConfig(config));
            }
            return TokenizerJsonToGguf.fromSentencePiece(file, config, 0);
        }
        if (name.endsWith(".txt")) {
            return WordPieceToGguf.fromVocabTxt(file, TokenizerJsonToGguf.readConfig(config));
        }
        if (name.endsWith(".bin")) {
            // llama2.c's tokenizer.bin does not say how many tokens it holds: all of them, to the end of the file
            int count = Llama2cTokenizerFile.readEntries(file, Integer.MAX_VALUE).pieces().size();
            return Llama2cToGgufConverter.readTokenizer(file, count);
        }
        throw new FormatException(file, -1, "", "not a tokenizer file jllm converts to GGUF (a .gguf file, "
                + "tokenizer.json, tokenizer.model, tiktoken.model, vocab.json with merges.txt, vocab.txt, or "
                + "llama2.c's tokenizer.bin)");
    }

    private static Map<String, GgufValue> fromGguf(Path file) throws IOException {
        try (GgufFile g = GgufFile.open(file)) {
            if (!(g.metadata().get("tokenizer.ggml.tokens") instanceof List<?>)) {
                throw new FormatException(file, -1, "tokenizer.ggml.tokens", "missing: the file holds no tokenizer");
            }
            Map<String, GgufValue> out = new LinkedHashMap<>();
            g.values().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    out.put(k, v);
                }
            });
            return out;
        }
    }
}
