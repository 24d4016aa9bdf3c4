package dev.jllm.formats.tokenizer.load;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.tokenizer.AbstractTokenizer;
import dev.jllm.formats.tokenizer.sentencepiece.SentencePieceModelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a tokenizer the way a user points at it: an HF model folder, or one file ({@code .gguf},
 * {@code tokenizer.json}, {@code tokenizer.model} (SentencePiece or tiktoken), {@code tiktoken.model},
 * {@code vocab.json} with {@code merges.txt}, BERT {@code vocab.txt}, llama2.c {@code tokenizer.bin}).
 */
public final class TokenizerLoader {
    private TokenizerLoader() {
    }

    /**
     * Loads the tokenizer at a folder or file.
     *
     * @throws FormatException when nothing there is a known tokenizer format, or the file is malformed
     */
    public static AbstractTokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            for (String name : new String[] {"tokenizer.json", "tokenizer.model", "tiktoken.model", "vocab.json",
                    "vocab.txt", "tokenizer.bin"}) {
                Path f = path.resolve(name);
                if (Files.isRegularFile(f)) {
                    return loadFile(f);
                }
            }
            try (var files = Files.list(path)) {
                var gguf = files.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().findFirst();
                if (gguf.isPresent()) {
                    return loadFile(gguf.get());
                }
            }
            throw new FormatException(path, -1, "", "no tokenizer.json, tokenizer.model, tiktoken.model, vocab.json, "
                    + "vocab.txt, tokenizer.bin or .gguf file in this folder");
        }
        return loadFile(path);
    }

    private static AbstractTokenizer loadFile(Path file) throws IOException {
        String name = file.getFileName().toString();
        if (name.endsWith(".gguf")) {
            return GgufTokenizerMetadata.fromGguf(file);
        }
        if (name.equals("vocab.json") || name.endsWith("-vocab.json")) {
            Path merges = file.resolveSibling(name.replace("vocab.json", "merges.txt"));
            if (!Files.isRegularFile(merges)) {
                throw new FormatException(merges, -1, "", "GPT-2 vocab.json needs merges.txt next to it");
            }
            return Gpt2VocabFiles.load(file, merges);
        }
        if (name.endsWith(".json")) {
            return HfTokenizerJson.load(file, null);
        }
        if (name.endsWith(".model")) {
            if (TiktokenFile.looksLikeTiktoken(file)) {
                return TiktokenFile.load(file);
            }
            return SentencePieceModelFile.read(file).toTokenizer(file);
        }
        if (name.endsWith(".txt")) {
            boolean lower = true;
            Path cfg = file.resolveSibling("tokenizer_config.json");
            if (Files.isRegularFile(cfg)) {
                Boolean doLowerCase = HfTokenizerConfig.read(cfg).doLowerCase();
                lower = doLowerCase == null || doLowerCase;
            }
            return WordPieceVocabFile.load(file, lower);
        }
        if (name.endsWith(".bin")) {
            return Llama2cTokenizerFile.load(file);
        }
        throw new FormatException(file, -1, "", "unknown tokenizer file type");
    }
}
