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
 * each client count has that many clients send streamed completion requests at once (end tokens banned
 * through {@code logit_bias}, so each generates exactly {@code -n} tokens) and reports the tokens/s of
 * all of them together beside one client's, and the time to the first streamed token (median and
 * worst) under that load.
 */
@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = "Tokens/s of the OpenAI server with 1 and with N concurrent streaming clients (continuous "
                + "batching), and the time to the first token under that load.")
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
                            + "client | first token ms (median) | (worst) |%n|---:|---:|---:|---:|---:|---:|---:|---:|---:|%n");
                }
                for (int c : clients) {
                    long start = System.nanoTime();
                    Round round = measure(http, uri, c, requests, generateTokens, loaded, rng);
                    long tokens = round.tokens();
                    double seconds = (System.nanoTime() - start) / 1e9;
                    double tps = tokens / seconds;
                    if (c == 1) {
                        single = tps;
                    }
                    String ratio = single > 0 ? String.format(Locale.ROOT, "%.2f", tps / single) : "";
                    if (json) {
                        out.printf(Locale.ROOT, "{\"clients\":%d,\"requests\":%d,\"tokens\":%d,\"seconds\":%.3f,"
                                + "\"tokens_per_s\":%.2f,\"ttft_ms_median\":%.1f,\"ttft_ms_max\":%.1f,\"threads\":%d}%n",
                                c, c * requests, tokens, seconds, tps, round.medianMillis(), round.worstMillis(),
                                model.threadCount());
                    } else {
                        out.printf(Locale.ROOT, "| %d | %d | %d | %.2f | %.1f | %.1f | %s | %.0f | %.0f |%n", c,
                                c * requests, tokens, seconds, tps, tps / c, ratio, round.medianMillis(),
                                round.worstMillis());
                    }
                    out.flush();
                }
            }
        }
        return 0;
    }

    /** What one client count gave: tokens generated, and each request's time to its first token. */
    private record Round(long tokens, List<Double> firstTokenMillis) {
        double medianMillis() {
            List<Double> sorted = firstTokenMillis.stream().sorted().toList();
            int n = sorted.size();
            return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        }

        double worstMillis() {
            return firstTokenMillis.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        }
    }

    /** {@code clients} clients each send {@code perClient} streamed requests, one after another. */
    private Round measure(HttpClient http, URI uri, int clients, int perClient, int tokens, LoadedModel loaded,
            SplittableRandom rng) throws Exception {
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < clients * perClient; i++) {
            bodies.add(body(loaded, tokens, rng.split()));
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Round>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                List<String> mine = bodies.subList(c * perClient, (c + 1) * perClient);
                done.add(threads.submit(() -> {
                    long n = 0;
                    List<Double> first = new ArrayList<>();
                    for (String b : mine) {
                        long sent = System.nanoTime();
                        HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(uri)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(b)).build(),
                                HttpResponse.BodyHandlers.ofLines());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("the server answered " + r.statusCode() + ": "
                                    + String.join("\n", r.body().toList()));
                        }
                        long[] usage = {-1};
                        double[] firstMillis = {-1};
                        r.body().forEach(line -> {
                            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                                return;
                            }
                            JsonNode chunk = readJson(line.substring(6));
                            JsonNode choices = chunk.get("choices");
                            if (firstMillis[0] < 0 && choices != null && !choices.isEmpty()
                                    && !choices.get(0).path("text").asText().isEmpty()) {
                                firstMillis[0] = (System.nanoTime() - sent) / 1e6;
                            }
                            if (chunk.hasNonNull("usage")) {
                                usage[0] = chunk.get("usage").get("completion_tokens").asLong();
                            }
                        });
                        if (usage[0] < 0) {
                            throw new IllegalStateException("the stream ended without usage");
                        }
                        n += usage[0];
                        first.add(firstMillis[0] < 0 ? (System.nanoTime() - sent) / 1e6 : firstMillis[0]);
                    }
                    return new Round(n, first);
                }));
            }
            long total = 0;
            List<Double> first = new ArrayList<>();
            for (Future<Round> f : done) {
                total += f.get().tokens();
                first.addAll(f.get().firstTokenMillis());
            }
            return new Round(total, first);
        }
    }

    private static JsonNode readJson(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("the server streamed a chunk that is not JSON: " + text, e);
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
        b.put("stream", true);
        b.putObject("stream_options").put("include_usage", true);
        ObjectNode bias = b.putObject("logit_bias");
        for (int id : loaded.endIds()) {
            bias.put(Integer.toString(id), -100);
        }
        return JSON.writeValueAsString(b);
    }
}
