package dev.jllm.server.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.runtime.Generator;
import dev.jllm.runtime.chat.ChatSession;
import dev.jllm.runtime.schedule.Scheduler;
import dev.jllm.runtime.schedule.SchedulerStats;
import dev.jllm.server.OpenAiServer;
import dev.jllm.server.ServedModel;
import dev.jllm.server.ServerOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The bundled model {@code models/jllm-kjv-q8_0.gguf} served by {@link OpenAiServer} on a free loopback
 * port with an API key and four parallel slots, for clients to talk to; also the model's greedy
 * continuation computed directly with a {@link Generator}, the path {@code jllm generate} takes.
 */
final class KjvServer implements AutoCloseable {
    static final String MODEL_ID = "jllm-kjv";
    static final String API_KEY = "sk-jllm-clients-test";
    static final int PARALLEL = 4;
    static final int CONTEXT = 512;
    private static final ObjectMapper JSON = new ObjectMapper();

    final LoadedModel loaded;
    final Tokenizer tokenizer;
    private final WorkerPool pool;
    private final Scheduler scheduler;
    private final OpenAiServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    KjvServer() throws IOException {
        loaded = LoadedModel.open(modelPath());
        tokenizer = loaded.tokenizer().orElseThrow();
        pool = new WorkerPool(2);
        scheduler = new Scheduler(new Decoder(loaded.config(), loaded.weights(), pool), tokenizer,
                new Scheduler.Options(DType.F16, CONTEXT, PARALLEL, 32, Generator.DEFAULT_PREFILL_CHUNK));
        ChatTemplate template = ChatTemplate.parse(loaded.chatTemplate().orElse(ChatSession.CHATML));
        ServedModel served = new ServedModel(MODEL_ID, scheduler, tokenizer, template, loaded.endIds(),
                System.currentTimeMillis() / 1000);
        server = new OpenAiServer(served, new ServerOptions("127.0.0.1", 0, API_KEY,
                ServerOptions.DEFAULT_MAX_BODY_BYTES));
    }

    /** The bundled model, from the module folder (as Maven runs tests) or the repository root. */
    private static Path modelPath() {
        for (String p : new String[] {"../models/jllm-kjv-q8_0.gguf", "models/jllm-kjv-q8_0.gguf"}) {
            Path path = Path.of(p);
            if (Files.isRegularFile(path)) {
                return path;
            }
        }
        throw new IllegalStateException("the bundled model models/jllm-kjv-q8_0.gguf is missing");
    }

    int port() {
        return server.port();
    }

    /** The base URL OpenAI clients take, ending in {@code /v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.port() + "/v1";
    }

    /** The server's own token count of {@code text}, through {@code POST /tokenize}. */
    int[] tokenize(String text, boolean addSpecial) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("content", text).put("add_special", addSpecial);
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/tokenize"))
                .header("Authorization", "Bearer " + API_KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("/tokenize answered " + response.statusCode() + ": " + response.body());
        }
        JsonNode tokens = JSON.readTree(response.body()).get("tokens");
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokens.get(i).asInt();
        }
        return ids;
    }

    /**
     * A greedy continuation.
     *
     * @param ids the generated ids, the end id excluded
     * @param ended whether an end id stopped it (the server counts that id as generated)
     */
    record Continuation(int[] ids, boolean ended) {
        /** How many tokens the server reports as generated. */
        int generated() {
            return ids.length + (ended ? 1 : 0);
        }
    }

    /**
     * The greedy continuation of {@code prompt}, computed without the scheduler or the server: one
     * {@link Generator} (its own cache, one sequence), argmax with the lowest id on ties, stopping at an
     * end id or after {@code maxTokens}.
     */
    Continuation greedy(int[] prompt, int maxTokens) {
        int[] end = loaded.endIds();
        int[] out = new int[maxTokens];
        int n = 0;
        try (Generator g = new Generator(new Decoder(loaded.config(), loaded.weights(), pool), DType.F16, CONTEXT,
                Generator.DEFAULT_PREFILL_CHUNK)) {
            float[] logits = g.ingest(prompt);
            while (n < maxTokens) {
                int best = 0;
                for (int i = 1; i < logits.length; i++) {
                    if (logits[i] > logits[best]) {
                        best = i;
                    }
                }
                final int chosen = best;
                if (Arrays.stream(end).anyMatch(e -> e == chosen)) {
                    return new Continuation(Arrays.copyOf(out, n), true);
                }
                out[n++] = best;
                if (n < maxTokens) {
                    logits = g.append(best);
                }
            }
        }
        return new Continuation(out, false);
    }

    /** The text of {@code ids}. */
    String text(int[] ids) {
        return tokenizer.decode(ids);
    }

    /** The piece of one token as the API shows it in log-probabilities. */
    String piece(int id) {
        return new String(tokenizer.pieceBytes(id, false), StandardCharsets.UTF_8);
    }

    /** The ChatML prompt of one user message, written out by hand (the bundled model has no template). */
    static String chatml(String user) {
        return "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
    }

    /** The scheduler's counters, to see that requests were batched. */
    SchedulerStats stats() {
        return scheduler.stats();
    }

    @Override
    public void close() {
        server.close();
        scheduler.close();
        pool.close();
        loaded.close();
    }
}
