package dev.jllm.cli;

import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.train.data.ShardBuilder;
import dev.jllm.train.data.TokenShard;
import dev.jllm.train.data.TokenShards;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm data}: encodes text files into the train/validation token shards that {@code jllm train} reads. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = {"Encode UTF-8 text files into token shards for training: OUT/train.bin and OUT/val.bin.",
            "Documents are the input files, cut at each occurrence of the separator (by default the end-of-text"
                + " token's text, e.g. <|endoftext|>); each is encoded and followed by the end-of-text id.",
            "Validation takes round(D × fraction) documents drawn with the seed, or, when that is 0, the last"
                + " fraction of the tokens.",
            "Shard format: 32-byte header (JLLMTOKS, version, bytes per token, count, vocabulary size,"
                + " end-of-text id), then little-endian uint16 ids (uint32 above 65,536 tokens)."})
final class DataCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "T",
            description = "tokenizer.json (e.g. from 'jllm tokenizer train'), a .gguf file or any tokenizer 'tokenize' reads.")
    Path tokenizer;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files.")
    List<Path> inputs;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "The folder to write.")
    Path output;

    @Option(names = "--val-fraction", defaultValue = "0.05", paramLabel = "F",
            description = "Fraction for validation, in [0, 1) (default ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the split (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--eot", defaultValue = "<|endoftext|>", paramLabel = "TOKEN",
            description = "The end-of-text token put after each document (default ${DEFAULT-VALUE}; else the"
                    + " tokenizer's EOS).")
    String eotToken;

    @Option(names = "--separator", paramLabel = "TEXT",
            description = "Text between documents inside a file (\\n and \\t are read as newline and tab);"
                    + " default: the end-of-text token's text.")
    String separator;

    @Option(names = "--whole-files", description = "Each input file is one document.")
    boolean wholeFiles;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        for (Path in : inputs) {
            if (!Files.isRegularFile(in)) {
                throw new NoSuchFileException(in.toString());
            }
        }
        Tokenizer tok = TokenizeCommand.load(tokenizer);
        int eot = endOfTextId(tok, eotToken, tokenizer);
        String sep = wholeFiles ? null : separator != null ? unescape(separator) : tok.token(eot);
        ShardBuilder.Summary s = new ShardBuilder(tok, eot, sep).build(inputs, validationFraction, seed, output);
        out.printf(Locale.ROOT, "%d document%s: %s %,d tokens, %s %,d tokens (%s), %d-byte ids, end-of-text %d%n",
                s.documents(), s.documents() == 1 ? "" : "s", output.resolve(TokenShards.TRAIN), s.trainTokens(), output.resolve(TokenShards.VALIDATION),
                s.validationTokens(), s.tailSplit() ? "the tail" : s.validationDocuments() + " documents",
                TokenShard.bytesPerToken(tok.vocabSize()), eot);
        out.flush();
        return 0;
    }

    /**
     * The id put after each document: {@code eotToken}'s, else the tokenizer's first EOS.
     *
     * @throws IllegalArgumentException naming the tokenizer file when it has neither
     */
    static int endOfTextId(Tokenizer tok, String eotToken, Path tokenizerFile) {
        int eot = tok.id(eotToken);
        if (eot < 0 && tok.eosIds().length > 0) {
            eot = tok.eosIds()[0];
        }
        if (eot < 0) {
            throw new IllegalArgumentException(tokenizerFile + " has no token " + eotToken + " and no EOS token; name"
                    + " the end-of-text token with --eot");
        }
        return eot;
    }

    private static String unescape(String s) {
        return s.replace("\\n", "\n").replace("\\t", "\t");
    }
}
