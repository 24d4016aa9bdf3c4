package dev.jllm.server;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.runtime.chat.ChatSession;
import dev.jllm.runtime.schedule.Scheduler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real server over the bundled model (models/jllm-kjv-q8_0.gguf), on a free loopback port, for the
 * tests. The model file is opened once per test JVM; each server gets its own scheduler.
 */
final class TestServer implements AutoCloseable {
    static final String MODEL_ID = "kjv";
    private static LoadedModel loaded;
    private static WorkerPool pool;

    final Scheduler scheduler;
    final OpenAiServer server;
    final Tokenizer tokenizer;
    final String key;

    private TestServer(Scheduler scheduler, OpenAiServer server, Tokenizer tokenizer, String key) {
        this.scheduler = scheduler;
        this.server = server;
        this.tokenizer = tokenizer;
        this.key = key;
    }

    /**
     * Starts a server.
     *
     * @param context tokens per sequence
     * @param parallel slots
     * @param queue how many requests may wait
     * @param key the API key, or null for none
     * @param maxBody the body limit in bytes
     */
    static TestServer start(int context, int parallel, int queue, String key, long maxBody) {
        return start(context, parallel, queue, key, maxBody, null);
    }

    /** As {@link #start(int, int, int, String, long)}, with an embedding model on /v1/embeddings (or null). */
    static TestServer start(int context, int parallel, int queue, String key, long maxBody,
            ServedEmbeddings embeddings) {
        LoadedModel model = model();
        Scheduler scheduler = new Scheduler(new Decoder(model.config(), model.weights(), pool), model.tokenizer()
                .orElseThrow(), new Scheduler.Options(DType.F16, context, parallel, queue, 256));
        ServedModel served = new ServedModel(MODEL_ID, scheduler, model.tokenizer().orElseThrow(), ChatTemplate.parse(
                ChatSession.CHATML), model.endIds(), 1_700_000_000L);
        try {
            return new TestServer(scheduler, new OpenAiServer(served, embeddings, new ServerOptions("127.0.0.1", 0, key,
                    maxBody)),
                    model.tokenizer().orElseThrow(), key);
        } catch (IOException e) {
            scheduler.close();
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized LoadedModel model() {
        if (loaded == null) {
            Path path = Path.of("..", "models", "jllm-kjv-q8_0.gguf");
            if (!Files.isRegularFile(path)) {
                path = Path.of("models", "jllm-kjv-q8_0.gguf");
            }
            try {
                loaded = LoadedModel.open(path);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            pool = new WorkerPool(1);
        }
        return loaded;
    }

    /** The bundled model's tokenizer. */
    static Tokenizer tokenizer() {
        return model().tokenizer().orElseThrow();
    }

    /** The bundled model's end-of-sequence ids. */
    static int[] endIds() {
        return model().endIds();
    }

    int port() {
        return server.port();
    }

    /** The base address, without a trailing slash. */
    String base() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        server.close();
        scheduler.close();
    }
}
