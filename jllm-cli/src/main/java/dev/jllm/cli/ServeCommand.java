package dev.jllm.cli;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.load.LoadedEncoder;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.runtime.embed.Embedder;
import dev.jllm.runtime.schedule.Scheduler;
import dev.jllm.server.OpenAiServer;
import dev.jllm.server.ServedEmbeddings;
import dev.jllm.server.ServedModel;
import dev.jllm.server.ServerOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm serve}: the OpenAI-compatible HTTP API with continuous batching. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over an OpenAI-compatible HTTP API (chat and text completions with streaming, "
                + "models, tokenize, detokenize, health, metrics), with continuous batching.",
            "An embedding model (BERT family) as -m is served alone on /v1/embeddings.",
            "Binds to loopback unless --host says otherwise; Ctrl-C stops it."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address to bind (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "N", description = "TCP port (default: "
            + "${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @ArgGroup(exclusive = true)
    KeySource key;

    /** Where the API key comes from: the command line or a file. */
    static final class KeySource {
        @Option(names = "--api-key", paramLabel = "KEY", description = "Require 'Authorization: Bearer KEY'.")
        String value;

        @Option(names = "--api-key-file", paramLabel = "FILE", description = "Read the key from the first line of "
                + "FILE (keeps it out of the process list).")
        Path file;
    }

    @Option(names = "--parallel", defaultValue = "4", paramLabel = "N",
            description = "Sequences decoded together, each with its own KV cache (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--queue", defaultValue = "64", paramLabel = "N",
            description = "Requests that may wait for a free slot; more get 503 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--alias", paramLabel = "NAME", description = "The -m model's name in the API (default: the file "
            + "or folder name).")
    String alias;

    @Option(names = "--max-body", defaultValue = "4194304", paramLabel = "BYTES",
            description = "Largest request body accepted; larger ones get 413 (default: ${DEFAULT-VALUE}).")
    long maxBody;

    @Option(names = "--embeddings", paramLabel = "MODEL", description = "An embedding model (BERT family: HF folder or "
            + "GGUF) to answer /v1/embeddings; its name in the API is its file or folder name.")
    Path embeddingModel;

    @Option(names = "--template", paramLabel = "FILE.jinja", description = "Use this chat template instead of the "
            + "model's.")
    Path templateFile;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        ServerOptions options = new ServerOptions(host, port, apiKey(), maxBody);
        if (parallel < 1 || parallel > 256) {
            throw new IllegalArgumentException("--parallel must be in 1..256, got " + parallel);
        }
        if (queue < 1) {
            throw new IllegalArgumentException("--queue must be at least 1, got " + queue);
        }
        if (model.model != null && LoadedEncoder.isEncoder(model.model)) {
            if (embeddingModel != null) {
                throw new IllegalArgumentException("-m " + model.model + " is an embedding model; --embeddings adds "
                        + "one beside a text generator, so give either -m or --embeddings the embedding model");
            }
            return serveEmbeddings(model.model, options, err);
        }
        try (LoadedModel loaded = model.open(); WorkerPool pool = new WorkerPool(model.threadCount());
                Scheduler scheduler = model.scheduler(loaded, pool, parallel, queue);
                LoadedEncoder encoder = embeddingModel == null ? null : LoadedEncoder.open(embeddingModel);
                WorkerPool encoderPool = encoder == null ? null : new WorkerPool(model.threadCount())) {
            Tokenizer tokenizer = loaded.tokenizer().orElseThrow(() -> new IllegalArgumentException(
                    loaded.source() + " has no tokenizer, so it cannot be served"));
            ChatTemplate template = ChatCommand.template(loaded, templateFile, err);
            String id = alias != null ? alias : loaded.source().getFileName().toString();
            ServedModel served = new ServedModel(id, scheduler, tokenizer, template, loaded.endIds(),
                    System.currentTimeMillis() / 1000);
            ServedEmbeddings embeddings = encoder == null ? null : new ServedEmbeddings(
                    embeddingModel.getFileName().toString(), Embedder.of(encoder, encoderPool));
            try (OpenAiServer server = bind(served, embeddings, options)) {
                err.printf("jllm: serving %s at http://%s:%d/v1 (%d parallel, context %d, queue %d%s)%n", id, host,
                        server.port(), parallel, scheduler.options().contextLength(), queue,
                        options.apiKey() == null ? ", no API key" : ", API key required");
                runUntilInterrupted(embeddings, err);
            }
        }
        return 0;
    }

    /** Serves an embedding model alone: /v1/embeddings, models, health and metrics. */
    private int serveEmbeddings(Path path, ServerOptions options, PrintWriter err)
            throws IOException, InterruptedException {
        try (LoadedEncoder encoder = LoadedEncoder.open(path); WorkerPool pool = new WorkerPool(model.threadCount())) {
            String id = alias != null ? alias : path.getFileName().toString();
            ServedEmbeddings embeddings = new ServedEmbeddings(id, Embedder.of(encoder, pool));
            try (OpenAiServer server = bind(null, embeddings, options)) {
                err.printf("jllm: serving embeddings at http://%s:%d/v1 (no text generator%s)%n", host, server.port(),
                        options.apiKey() == null ? ", no API key" : ", API key required");
                runUntilInterrupted(embeddings, err);
            }
        }
        return 0;
    }

    private static void runUntilInterrupted(ServedEmbeddings embeddings, PrintWriter err) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        InterruptHandler.install(stop::countDown);
        if (embeddings != null) {
            err.printf("jllm: embeddings from %s (%d dimensions)%n", embeddings.id(), embeddings.embedder().dimension());
        }
        err.flush();
        stop.await();
        err.println("jllm: stopping");
        err.flush();
    }

    private static OpenAiServer bind(ServedModel served, ServedEmbeddings embeddings, ServerOptions options) {
        // a client that stalls while sending its request is dropped after a minute (the JDK's default is never)
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "60");
        }
        try {
            return new OpenAiServer(served, embeddings, options);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + e.getMessage());
        }
    }

    private String apiKey() throws IOException {
        if (key == null) {
            return null;
        }
        if (key.value != null) {
            return key.value;
        }
        String first = Files.readAllLines(key.file, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
        if (first.isEmpty()) {
            throw new IllegalArgumentException("--api-key-file " + key.file + " holds no key on its first line");
        }
        return first;
    }
}
