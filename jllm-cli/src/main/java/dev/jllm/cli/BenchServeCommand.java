package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.runtime.chat.ChatSession;
import dev.jllm.runtime.schedule.Scheduler;
import dev.jllm.server.OpenAiServer;
import dev.jllm.server.ServedModel;
import dev.jllm.server.ServerOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm bench-serve}: generation throughput of the server as its clients see it. Starts the
 * OpenAI server in-process on a loopback port with as many slots as the most clients asked, then for
 * each client count has that many clients send completion requests at once (end tokens banned through
 * {@code logit_bias}, so each generates exactly {@code -n} tokens) and reports the tokens/s of all of
 * them together beside one client's.
 */
@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = "Tokens/s of the OpenAI server with 1 and with N concurrent clients (continuous batching).")
final class BenchServeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--clients", defaultValue = "1,8", split = ",", paramLabel = "N,N",
            description = "Client counts to measure (default: ${DEFAULT-VALUE}).")
    int[] clients;

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "32", paramLabel = "N",
            description = "Prompt tokens per request (random ids, different per request) (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = {"-n", "--gen-tokens"}, defaultValue = "64", paramLabel = "N",
            description = "Tokens generated per request (default: ${DEFAULT-VALUE}).")
    int generateTokens;

    @Option(names = {"-r", "--requests"}, defaultValue = "2", paramLabel = "N",
            description = "Requests each client sends, one after another (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--json", description = "One JSON object per client count.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        int most = 0;
        for (int c : clients) {
            if (c < 1) {
                throw new IllegalArgumentException("--clients must be positive, got " + c);
            }
            most = Math.max(most, c);
        }
        if (promptTokens < 1 || generateTokens < 1 || requests < 1) {
            throw new IllegalArgumentException("-p, -n and -r must be positive");
        }
        try (LoadedModel loaded = model.open(); WorkerPool pool = new WorkerPool(model.threadCount());
                Scheduler scheduler = model.scheduler(loaded, pool, most, most * requests)) {
            Tokenizer tokenizer = loaded.tokenizer().orElseThrow(() -> new IllegalArgumentException(
                    loaded.source() + " has no tokenizer, so it cannot be served"));
            ServedModel served = new ServedModel("bench", scheduler, tokenizer, ChatTemplate.parse(ChatSession.CHATML),
                    loaded.endIds(), 0);
            try (OpenAiServer server = new OpenAiServer(served, new ServerOptions("127.0.0.1", 0, null,
                    ServerOptions.DEFAULT_MAX_BODY_BYTES))) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/completions");
                SplittableRandom rng = new SplittableRandom(42);
                // warm-up, as long as a measured round: the JIT compiles the batched paths only after many steps
                measure(http, uri, most, 1, generateTokens, loaded, rng);
                measure(http, uri, 1, 1, generateTokens, loaded, rng);
                double single = 0;
                if (!json) {
                    out.printf(Locale.ROOT, "| clients | requests | tokens | seconds | tokens/s | per client | vs 1 "
                            + "client |%n|---:|---:|---:|---:|---:|---:|---:|%n");
                }
                for (int c : clients) {
                    long start = System.nanoTime();
                    long tokens = measure(http, uri, c, requests, generateTokens, loaded, rng);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    double tps = tokens / seconds;
                    if (c == 1) {
                        single = tps;
                    }
                    String ratio = single > 0 ? String.format(Locale.ROOT, "%.2f", tps / single) : "";
                    if (json) {
                        out.printf(Locale.ROOT, "{\"clients\":%d,\"requests\":%d,\"tokens\":%d,\"seconds\":%.3f,"
                                + "\"tokens_per_s\":%.2f,\"threads\":%d}%n", c, c * requests, tokens, seconds, tps,
                                model.threadCount());
                    } else {
                        out.printf(Locale.ROOT, "| %d | %d | %d | %.2f | %.1f | %.1f | %s |%n", c, c * requests,
                                tokens, seconds, tps, tps / c, ratio);
                    }
                    out.flush();
                }
            }
        }
        return 0;
    }

    /** {@code clients} clients each send {@code perClient} requests; returns the tokens generated. */
    private long measure(HttpClient http, URI uri, int clients, int perClient, int tokens, LoadedModel loaded,
            SplittableRandom rng) throws Exception {
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < clients * perClient; i++) {
            bodies.add(body(loaded, tokens, rng.split()));
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Long>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                List<String> mine = bodies.subList(c * perClient, (c + 1) * perClient);
                done.add(threads.submit(() -> {
                    long n = 0;
                    for (String b : mine) {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(b)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        JsonNode answer = JSON.readTree(r.body());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("the server answered " + r.statusCode() + ": " + r.body());
                        }
                        n += answer.get("usage").get("completion_tokens").asLong();
                    }
                    return n;
                }));
            }
            long total = 0;
            for (Future<Long> f : done) {
                total += f.get();
            }
            return total;
        }
    }

    private String body(LoadedModel loaded, int tokens, SplittableRandom rng) throws IOException {
        int vocab = loaded.config().vocabSize();
        ObjectNode b = JSON.createObjectNode();
        var prompt = b.putArray("prompt");
        for (int i = 0; i < promptTokens; i++) {
            prompt.add(rng.nextInt(vocab));
        }
        b.put("max_tokens", tokens);
        b.put("temperature", 0);
        ObjectNode bias = b.putObject("logit_bias");
        for (int id : loaded.endIds()) {
            bias.put(Integer.toString(id), -100);
        }
        return JSON.writeValueAsString(b);
    }
}
