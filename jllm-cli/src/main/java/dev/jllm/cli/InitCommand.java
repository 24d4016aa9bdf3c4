package dev.jllm.cli;

import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelDims;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.convert.TokenizerToGguf;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.init.TensorSpec;
import dev.jllm.formats.quantize.LlamaFileType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm init}: writes a randomly initialised model of a given architecture and shape as a GGUF
 * file in llama.cpp's layout, streamed tensor row by tensor row.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a randomly initialised model (normal std 0.02, norms 1, biases 0) as a GGUF file.")
final class InitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--arch", paramLabel = "ARCH",
            description = "llama, mistral, qwen2, qwen3, gpt2, bert or t5 (implied by a named preset).")
    String arch;

    @Option(names = "--preset", paramLabel = "NAME", description = "tiny (about 1M parameters, any architecture), "
            + "llama-3.2-1b, tinyllama-1.1b, mistral-7b, qwen2.5-0.5b, qwen3-0.6b, gpt2-124m, bert-base or flan-t5-small.")
    String preset;

    @Option(names = "--dims", paramLabel = "d,l,h,kv,ff[,vocab]",
            description = "Width, blocks, heads, kv heads, feed-forward width and optionally vocabulary size (default 32000).")
    String dims;

    @Option(names = "--vocab-from", paramLabel = "FILE|DIR",
            description = "The tokenizer to write, converted as llama.cpp converts it: a GGUF file, tokenizer.json, "
                    + "tokenizer.model (SentencePiece or tiktoken), tiktoken.model, vocab.json (+ merges.txt), vocab.txt, llama2.c tokenizer.bin, "
                    + "or a Hugging Face folder; a tokenizer_config.json beside it is read too. The vocabulary size "
                    + "follows it.")
    Path vocabFrom;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default ${DEFAULT-VALUE}); same seed, same bytes.")
    long seed;

    @Option(names = {"-t", "--type"}, defaultValue = "F32", paramLabel = "TYPE",
            description = "Weight type or recipe, as for quantize (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.gguf", description = "The file to write.")
    Path output;

    @Override
    public Integer call() throws IOException {
        LlamaFileType fileType = LlamaFileType.parse(type);
        Architecture architecture = arch == null ? null : Architecture.parse(arch);
        if ((preset == null) == (dims == null)) {
            throw new IllegalArgumentException("give exactly one of --preset and --dims");
        }
        ModelDims shape;
        String name;
        if (preset != null && !preset.equalsIgnoreCase(ModelPreset.TINY)) {
            ModelPreset p = ModelPreset.parse(preset);
            if (architecture != null && architecture != p.architecture()) {
                throw new IllegalArgumentException("preset " + p.cliName() + " is " + p.architecture().cliName()
                        + ", not " + architecture.cliName());
            }
            architecture = p.architecture();
            shape = p.dims();
            name = p.cliName();
        } else {
            if (architecture == null) {
                throw new IllegalArgumentException("--arch is needed with " + (preset != null ? "--preset tiny" : "--dims"));
            }
            shape = preset != null ? ModelPreset.tiny(architecture) : parseDims(dims);
            name = architecture.cliName() + "-" + (preset != null ? "tiny" : "custom");
        }
        Path folder = output.toAbsolutePath().getParent();
        if (folder != null && !Files.isDirectory(folder)) {
            throw new NoSuchFileException(folder.toString());
        }
        PrintWriter err = spec.commandLine().getErr();
        Map<String, GgufValue> tokenizer;
        if (vocabFrom != null) {
            if (!Files.exists(vocabFrom)) {
                throw new NoSuchFileException(vocabFrom.toString());
            }
            tokenizer = TokenizerToGguf.metadata(vocabFrom);
            shape = shape.withVocab(TokenizerToGguf.vocabSize(tokenizer));
        } else {
            int n = Math.max(shape.vocab(), PlaceholderVocabulary.MIN_SIZE);
            shape = shape.withVocab(n);
            tokenizer = PlaceholderVocabulary.metadata(n);
            err.printf(Locale.ROOT, "jllm: note: no --vocab-from, so the tokenizer is a placeholder byte-level vocabulary "
                    + "of %d tokens%n", n);
            err.flush();
        }
        List<TensorSpec> specs = architecture.tensors(shape);
        long params = specs.stream().mapToLong(t -> t.rows() * t.rowLength()).sum();
        try (ProgressReport progress = ProgressReport.create("init", params, err)) {
            RandomModelWriter.write(architecture, shape, name, tokenizer, seed, fileType, output, progress);
            progress.finish();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "wrote %s (%s, %d tensors, %,d parameters, %s, %,d bytes)%n", output,
                architecture.cliName(), specs.size(), params, fileType.displayName(), Files.size(output));
        out.flush();
        return 0;
    }

    private static ModelDims parseDims(String s) {
        String[] parts = s.split(",");
        if (parts.length != 5 && parts.length != 6) {
            throw new IllegalArgumentException("--dims takes d,l,h,kv,ff[,vocab], not \"" + s + "\"");
        }
        int[] v = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--dims: \"" + parts[i] + "\" is not a whole number");
            }
        }
        if (v[2] <= 0 || v[0] % v[2] != 0) {
            throw new IllegalArgumentException("--dims: width " + v[0] + " is not a multiple of the head count " + v[2]);
        }
        int vocab = parts.length == 6 ? v[5] : 32000;
        return new ModelDims(v[0], v[1], v[2], v[3], v[4], vocab, v[0] / v[2], 2048, 10000f, 1e-5f, false);
    }
}
