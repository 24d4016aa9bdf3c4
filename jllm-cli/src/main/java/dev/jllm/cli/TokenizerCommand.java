package dev.jllm.cli;

import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import dev.jllm.train.data.bpe.BpeTrainer;
import dev.jllm.train.data.bpe.TokenizerJsonWriter;
import dev.jllm.train.data.bpe.TrainedBpe;
import dev.jllm.train.data.bpe.WordCounts;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm tokenizer train}: learns a byte-level BPE tokenizer from text files and saves it as tokenizer.json. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true, description = "Make tokenizers.",
        subcommands = {TokenizerCommand.Train.class})
final class TokenizerCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code jllm tokenizer train --vocab N --input FILES -o tokenizer.json}. */
    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Train a byte-level BPE tokenizer (GPT-2 style) on UTF-8 text files and save it as a"
                    + " Hugging Face tokenizer.json.",
                "Text is split by a GPT-2 or Llama 3 regex, each word is taken as UTF-8 bytes, and the most frequent"
                    + " adjacent pair is merged until the vocabulary (special tokens included) has N tokens; ties go to"
                    + " the pair of smaller ids. Ids: special tokens, the 256 bytes, then the merges in order.",
                "Special tokens written in the text are cut out before counting."})
    static final class Train implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--vocab", required = true, paramLabel = "N",
                description = "Vocabulary size, special tokens included (at least 256 + their number).")
        int vocab;

        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files.")
        List<Path> inputs;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "tokenizer.json",
                description = "The file to write (atomically).")
        Path output;

        @Option(names = "--min-frequency", defaultValue = "2", paramLabel = "F",
                description = "Merge only pairs seen at least F times (default ${DEFAULT-VALUE}); training may stop"
                        + " short of N.")
        long minFrequency;

        @Option(names = "--special", paramLabel = "TOKEN",
                description = "A special token (repeatable; default <|endoftext|>). They get ids 0, 1, …")
        List<String> specials;

        @Option(names = "--pattern", defaultValue = "llama3", paramLabel = "NAME",
                description = "Pre-tokenizer split: llama3 (digits in groups of three) or gpt2 (default ${DEFAULT-VALUE}).")
        String pattern;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            String regex = switch (pattern.toLowerCase(Locale.ROOT)) {
                case "llama3" -> PreTokenizer.LLAMA3;
                case "gpt2" -> PreTokenizer.GPT2;
                default -> throw new IllegalArgumentException("--pattern must be llama3 or gpt2, not '" + pattern + "'");
            };
            List<String> special = specials == null || specials.isEmpty() ? List.of("<|endoftext|>") : specials;
            BpeTrainer trainer = new BpeTrainer(vocab, minFrequency, special);
            for (Path in : inputs) {
                if (!Files.isRegularFile(in)) {
                    throw new NoSuchFileException(in.toString());
                }
            }
            long start = System.nanoTime();
            WordCounts counts = new WordCounts(regex, special);
            for (Path in : inputs) {
                counts.addFile(in);
            }
            if (counts.bytes() == 0) {
                throw new IllegalArgumentException("no text to train on in " + (inputs.size() == 1 ? inputs.get(0)
                        : "the " + inputs.size() + " input files"));
            }
            TrainedBpe bpe = trainer.train(counts, regex);
            TokenizerJsonWriter.write(bpe, output);
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf(Locale.ROOT, "%s: %d tokens (%d special, 256 bytes, %d merges) from %,d bytes of text,"
                    + " %,d distinct words, in %.1f s%n", output, bpe.vocabSize(), special.size(), bpe.merges().size(),
                    counts.bytes(), counts.distinct(), seconds);
            if (bpe.vocabSize() < vocab) {
                out.printf(Locale.ROOT, "stopped short of %d: no pair is left with at least %d occurrences%n", vocab,
                        minFrequency);
            }
            out.flush();
            return 0;
        }
    }
}
