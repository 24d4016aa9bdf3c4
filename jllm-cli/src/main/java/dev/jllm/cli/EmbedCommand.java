package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.model.encoder.Pooling;
import dev.jllm.model.load.LoadedEncoder;
import dev.jllm.runtime.embed.Embedder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jllm embed -m MODEL (TEXT… | --file F | --jsonl)}: the sentence vector of each input as one
 * JSON array per line, from a BERT-family encoder.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Sentence embeddings from a BERT-family encoder (BERT, all-MiniLM, BGE, E5).",
            "Prints one JSON array (the vector) per input, in input order. Inputs longer than the model's "
                    + "maximum length are cut as Hugging Face tokenizers cut them ([CLS] and [SEP] kept)."})
final class EmbedCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "An HF BERT folder (config.json, safetensors, tokenizer.json or vocab.txt) or a GGUF file "
                    + "of llama.cpp's bert architecture.")
    Path model;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "Worker threads (default: the number of processors).")
    Integer threads;

    @Option(names = "--pooling", paramLabel = "MODE",
            description = "mean, cls or last (default: what the model's files say, else mean).")
    String pooling;

    @Option(names = "--normalize", description = "Scale every vector to unit L2 length.")
    boolean normalize;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "N",
            description = "Inputs encoded in one pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--max-tokens", paramLabel = "N",
            description = "Cut inputs to N tokens, special tokens included (default: the model's maximum length).")
    Integer maxTokens;

    @Option(names = "--file", paramLabel = "FILE", description = "Embed each line of FILE (UTF-8).")
    Path file;

    @Option(names = "--jsonl", description = "Embed one JSON string per line of stdin.")
    boolean jsonl;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "Texts to embed, one vector each.")
    List<String> texts;

    @Override
    public Integer call() throws IOException {
        int sources = (texts != null && !texts.isEmpty() ? 1 : 0) + (file != null ? 1 : 0) + (jsonl ? 1 : 0);
        if (sources != 1) {
            throw new IllegalArgumentException(sources == 0 ? "nothing to embed: give TEXT, --file FILE or --jsonl"
                    : "give only one of TEXT, --file and --jsonl");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (threadCount < 1 || threadCount > 1024) {
            throw new IllegalArgumentException("--threads must be in 1..1024, got " + threadCount);
        }
        if (file != null && !Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (!Files.exists(model)) {
            throw new NoSuchFileException(model.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        try (LoadedEncoder loaded = LoadedEncoder.open(model); WorkerPool pool = new WorkerPool(threadCount)) {
            Pooling mode = pooling == null ? loaded.config().pooling() : Pooling.parse(pooling);
            int limit = maxTokens == null ? loaded.config().maxPositions() : maxTokens;
            Embedder embedder = Embedder.of(loaded, pool, new Embedder.Options(mode, normalize, batch, limit));
            if (texts != null && !texts.isEmpty()) {
                print(embedder.embed(texts), out);
            } else {
                try (BufferedReader in = file != null ? Files.newBufferedReader(file, StandardCharsets.UTF_8)
                        : new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                    embedLines(in, file != null ? file.toString() : "stdin", embedder, out);
                }
            }
        }
        out.flush();
        return 0;
    }

    /** Embeds the lines in chunks of several batches, so output streams and memory stays bounded. */
    private void embedLines(BufferedReader in, String source, Embedder embedder, PrintWriter out) throws IOException {
        int chunk = batch * 8;
        List<String> pending = new ArrayList<>(chunk);
        String line;
        long number = 0;
        while ((line = in.readLine()) != null) {
            number++;
            pending.add(jsonl ? JsonStringLine.parse(line, number, source) : line);
            if (pending.size() == chunk) {
                print(embedder.embed(pending), out);
                pending.clear();
            }
        }
        if (!pending.isEmpty()) {
            print(embedder.embed(pending), out);
        }
    }

    /** Each vector as a JSON array of floats, written in their shortest round-tripping form. */
    private static void print(float[][] vectors, PrintWriter out) {
        StringBuilder sb = new StringBuilder();
        for (float[] v : vectors) {
            sb.setLength(0);
            sb.append('[');
            for (int i = 0; i < v.length; i++) {
                sb.append(i == 0 ? "" : ",").append(v[i]);
            }
            out.println(sb.append(']'));
        }
        out.flush();
    }
}
