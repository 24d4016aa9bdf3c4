package dev.jllm.server;

import static dev.jllm.server.TestClient.assertError;
import static dev.jllm.server.TestClient.events;
import static dev.jllm.server.TestClient.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.runtime.schedule.SchedulerStats;
import dev.jllm.server.TestClient.Reply;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The acceptance test of issue 6: fifty clients at once against one server with four slots, some of
 * them hanging up mid-stream, some sending broken JSON, oversized bodies or a wrong key. Every
 * well-formed (greedy) request must get the answer it gets when sent alone, every bad one its error,
 * and afterwards the server must serve on with no sequence left running.
 */
class ServerFaultTest {
    private static final String KEY = "sk-fault";
    private static final int LIMIT = 16 * 1024;
    private static final int HANG_UP_MAX_TOKENS = 200;

    /** The well-formed requests: each is sent alone first, then four times in the storm. */
    private static final List<String[]> WELL_FORMED = List.of(
            new String[] {"/v1/completions", "{\"prompt\":\"And God said\",\"max_tokens\":12,\"temperature\":0}"},
            new String[] {"/v1/completions", "{\"prompt\":\"The LORD is my shepherd\",\"max_tokens\":10,"
                    + "\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}"},
            new String[] {"/v1/chat/completions", "{\"model\":\"kjv\",\"messages\":[{\"role\":\"system\",\"content\":"
                    + "\"Answer as a psalm.\"},{\"role\":\"user\",\"content\":\"Who is the king of glory?\"}],"
                    + "\"max_tokens\":14,\"temperature\":0}"},
            new String[] {"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Blessed are the "
                    + "meek\"}],\"max_completion_tokens\":10,\"temperature\":0,\"stream\":true,\"stream_options\":"
                    + "{\"include_usage\":true}}"},
            new String[] {"/v1/completions", "{\"prompt\":\"In the beginning\",\"max_tokens\":8,\"n\":2,"
                    + "\"temperature\":0,\"stop\":[\"\\n\\n\"]}"});
    private static final String[] MALFORMED = {"{", "{\"messages\": [}", "nul", "{\"prompt\": \"a\" \"b\"}",
        "\u0000\u0001\u0002", "{\"prompt\":\"a\",}", "{'prompt': 'a'}", "[[[[[[[[[[[[[["};

    /** What a well-formed reply says: per choice index, its text and finish reason; and its usage. */
    record Answer(Map<Integer, String> texts, Map<Integer, String> finishes, int completionTokens) {
    }

    /** Reads a 200 reply, streamed or whole, chat or text, checking its shape on the way. */
    static Answer answer(Reply r) {
        assertEquals(200, r.status(), r.body());
        Map<Integer, StringBuilder> texts = new java.util.TreeMap<>();
        Map<Integer, String> finishes = new java.util.TreeMap<>();
        int tokens;
        if (r.header("Content-Type").startsWith("text/event-stream")) {
            List<String> events = events(r.body());
            assertEquals("[DONE]", events.getLast());
            JsonNode usage = parse(events.get(events.size() - 2)).get("usage");
            tokens = usage.get("completion_tokens").asInt();
            for (String e : events.subList(0, events.size() - 2)) {
                JsonNode choice = parse(e).get("choices").get(0);
                int index = choice.get("index").asInt();
                JsonNode text = choice.has("delta") ? choice.get("delta").get("content") : choice.get("text");
                texts.computeIfAbsent(index, k -> new StringBuilder()).append(text == null ? "" : text.asText());
                if (!choice.get("finish_reason").isNull()) {
                    assertEquals(null, finishes.put(index, choice.get("finish_reason").asText()), r.body());
                }
            }
        } else {
            JsonNode json = r.json();
            tokens = json.get("usage").get("completion_tokens").asInt();
            for (JsonNode choice : json.get("choices")) {
                int index = choice.get("index").asInt();
                String text = choice.has("message") ? choice.get("message").get("content").asText()
                        : choice.get("text").asText();
                texts.put(index, new StringBuilder(text));
                finishes.put(index, choice.get("finish_reason").asText());
            }
        }
        Map<Integer, String> out = new java.util.TreeMap<>();
        texts.forEach((k, v) -> out.put(k, v.toString()));
        assertEquals(out.keySet(), finishes.keySet(), r.body());
        return new Answer(out, finishes, tokens);
    }

    @Test
    void fiftyClientsWithFaultsAllGetTheirAnswers() throws Exception {
        try (TestServer server = TestServer.start(256, 4, 64, KEY, LIMIT)) {
            TestClient client = new TestClient(server);
            List<Answer> alone = new ArrayList<>();
            for (String[] w : WELL_FORMED) {
                alone.add(answer(client.post(w[0], w[1])));
            }
            SchedulerStats before = server.scheduler.stats();

            List<Callable<Runnable>> clients = new ArrayList<>();
            long wellFormedTokens = 0;
            for (int copy = 0; copy < 4; copy++) {
                for (int i = 0; i < WELL_FORMED.size(); i++) {
                    String[] w = WELL_FORMED.get(i);
                    Answer expected = alone.get(i);
                    wellFormedTokens += expected.completionTokens();
                    clients.add(() -> {
                        Answer got = answer(client.post(w[0], w[1]));
                        return () -> assertEquals(expected, got, "request " + w[1]);
                    });
                }
            }
            int hangUps = 10;
            for (int i = 0; i < hangUps; i++) {
                String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell of the flood, part " + i
                        + "\"}],\"max_tokens\":" + HANG_UP_MAX_TOKENS + ",\"temperature\":0.8,\"stream\":true,\"logit_bias\":"
                        + QueueAndDisconnectTest.banEndTokens() + "}";
                clients.add(() -> {
                    try (Socket s = TestClient.rawPost(server.port(), "/v1/chat/completions", KEY, body)) {
                        String seen = TestClient.readUntil(s, "data: ");
                        return () -> assertTrue(seen.startsWith("HTTP/1.1 200 "), seen);
                    }
                });
            }
            for (String bad : MALFORMED) {
                clients.add(() -> {
                    Reply r = client.post(bad.startsWith("{\"m") ? "/v1/chat/completions" : "/v1/completions", bad);
                    return () -> assertError(r, 400, null);
                });
            }
            for (int size : new int[] {LIMIT + 1, 200_000, 2_000_000}) {
                String big = "{\"prompt\":\"" + "x".repeat(size) + "\"}";
                clients.add(() -> {
                    Reply r = client.post("/v1/completions", big);
                    return () -> assertError(r, 413, null);
                });
                byte[] bytes = big.getBytes(StandardCharsets.UTF_8);
                clients.add(() -> {
                    Reply r = client.send(HttpRequest.newBuilder(URI.create(server.base() + "/v1/chat/completions"))
                            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))),
                            KEY);
                    return () -> assertError(r, 413, null);
                });
            }
            String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";
            for (int i = 0; i < 6; i++) {
                String key = i % 2 == 0 ? null : "sk-guess-" + i;
                clients.add(() -> {
                    Reply r = client.post("/v1/chat/completions", chat, key);
                    return () -> assertEquals("invalid_api_key", assertError(r, 401, null).get("code").asText());
                });
            }
            assertEquals(50, clients.size());

            List<Runnable> checks = runTogether(clients);
            checks.forEach(Runnable::run);

            // the server serves on, and nothing is left running
            Answer last = answer(client.post(WELL_FORMED.get(2)[0], WELL_FORMED.get(2)[1]));
            assertEquals(alone.get(2), last);
            SchedulerStats after = QueueAndDisconnectTest.await(server, s -> s.active() == 0 && s.queued() == 0);
            // a hung-up request's thread ends just after its sequence does: give it a moment
            Map<String, Double> metrics = OpenAiServerGenerationTest.metricsWhen(client,
                    m -> m.get("jllm_requests_in_flight") <= 1);
            assertEquals(0.0, metrics.get("jllm_sequences_active"));
            assertEquals(0.0, metrics.get("jllm_queue_depth"));
            assertEquals(1.0, metrics.get("jllm_requests_in_flight"), "only the metrics request itself");
            // only well-formed requests reached the scheduler: 4 × 6 sequences, the hang-ups, the last one
            assertEquals(24 + hangUps + 1, after.submitted() - before.submitted());
            assertEquals(0, after.rejected());
            // the hung-up streams stopped early: together far fewer tokens than any one of them may make
            long hangUpTokens = after.generatedTokens() - before.generatedTokens() - wellFormedTokens
                    - alone.get(2).completionTokens();
            assertTrue(hangUpTokens < HANG_UP_MAX_TOKENS, "hung-up streams generated " + hangUpTokens + " tokens");
        }
    }

    /** Starts every client at the same moment; each returns the check of what it saw. */
    private static List<Runnable> runTogether(List<Callable<Runnable>> clients) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Runnable>> futures = new ArrayList<>();
            for (Callable<Runnable> c : clients) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return c.call();
                }));
            }
            go.countDown();
            List<Runnable> checks = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                try {
                    checks.add(futures.get(i).get(60, TimeUnit.SECONDS));
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof UncheckedIOException io) {
                        throw new AssertionError("client " + i + " got no answer: " + io.getCause(), io);
                    }
                    throw e;
                }
            }
            return checks;
        }
    }
}
