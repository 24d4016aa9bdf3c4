package dev.jllm.server;

import static dev.jllm.server.TestClient.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.runtime.schedule.SchedulerStats;
import dev.jllm.server.TestClient.Reply;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure and hang-ups with one slot and a queue of one: a full queue answers 503 with
 * Retry-After, and a client that closes its stream cancels its generation.
 */
class QueueAndDisconnectTest {
    private static final int CONTEXT = 512;
    /** A greedy stream that cannot end before 480 tokens: its end tokens are banned. */
    static final String LONG_STREAM = "{\"messages\":[{\"role\":\"user\",\"content\":\"Sing\"}],"
            + "\"max_tokens\":480,\"temperature\":0,\"stream\":true,\"logit_bias\":" + banEndTokens() + "}";
    private TestServer server;
    private TestClient client;

    @BeforeEach
    void start() {
        server = TestServer.start(CONTEXT, 1, 1, null, 1 << 16);
        client = new TestClient(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String banEndTokens() {
        StringBuilder bias = new StringBuilder("{");
        for (int id : TestServer.endIds()) {
            bias.append(bias.length() > 1 ? "," : "").append('"').append(id).append("\":-100");
        }
        return bias.append('}').toString();
    }

    /** Polls the scheduler's stats until {@code done} holds (at most 20 s). */
    static SchedulerStats await(TestServer server, Predicate<SchedulerStats> done) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        SchedulerStats s = server.scheduler.stats();
        while (!done.test(s)) {
            assertTrue(System.nanoTime() < deadline, "stats never got there: " + s);
            Thread.sleep(5);
            s = server.scheduler.stats();
        }
        return s;
    }

    @Test
    void fullQueueIs503WithRetryAfter() throws Exception {
        long generatedBefore = server.scheduler.stats().generatedTokens();
        try (Socket running = TestClient.rawPost(server.port(), "/v1/chat/completions", null, LONG_STREAM)) {
            TestClient.readUntil(running, "\"content\":\"");
            await(server, s -> s.active() == 1);
            CompletableFuture<Reply> queued = CompletableFuture.supplyAsync(() -> client.post("/v1/completions",
                    "{\"prompt\":\"And\",\"max_tokens\":3,\"temperature\":0}"));
            await(server, s -> s.queued() == 1);
            Reply busy = client.post("/v1/completions", "{\"prompt\":\"And\",\"max_tokens\":3}");
            JsonNode error = assertError(busy, 503, null);
            assertEquals("server_busy", error.get("code").asText());
            assertEquals("1", busy.header("Retry-After"));
            Reply busyStream = client.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"a\"}],\"stream\":true}");
            assertError(busyStream, 503, null);
            assertEquals("1", busyStream.header("Retry-After"));
            // several choices that do not all fit are refused whole
            assertError(client.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
                    + "\"n\":3}"), 503, null);
            assertEquals(3, server.scheduler.stats().rejected());
            running.close();
            Reply later = queued.get();
            assertEquals(200, later.status(), later.body());
            assertEquals(3, later.json().get("usage").get("completion_tokens").asInt());
        }
        SchedulerStats s = await(server, st -> st.active() == 0 && st.queued() == 0);
        // the hung-up stream stopped long before its 480 tokens
        assertTrue(s.generatedTokens() - generatedBefore < 120, "generated " + (s.generatedTokens() - generatedBefore));
        String refused = "jllm_requests_total{route=\"/v1/completions\",status=\"503\"}";
        Map<String, Double> metrics = OpenAiServerGenerationTest.metricsWhen(client, m -> m.containsKey(refused));
        assertEquals(0.0, metrics.get("jllm_sequences_active"));
        assertEquals(3.0, metrics.get("jllm_requests_rejected_total"));
        assertEquals(1.0, metrics.get(refused));
    }

    @Test
    void hangingUpMidStreamCancelsTheGeneration() throws Exception {
        long before = server.scheduler.stats().generatedTokens();
        try (Socket socket = TestClient.rawPost(server.port(), "/v1/chat/completions", null, LONG_STREAM)) {
            String head = TestClient.readUntil(socket, "\"content\":\"");
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            await(server, s -> s.active() == 1 && s.generatedTokens() > before);
        }
        SchedulerStats s = await(server, st -> st.active() == 0);
        long generated = s.generatedTokens() - before;
        assertTrue(generated < 120, "a closed stream kept generating: " + generated + " of 480 tokens");
        // and the server goes on serving
        Reply r = client.post("/v1/completions", "{\"prompt\":\"And\",\"max_tokens\":4}");
        assertEquals(200, r.status(), r.body());
        assertEquals(4, r.json().get("usage").get("completion_tokens").asInt());
    }

    /** A whole (non-streamed) answer writes a space every quarter second while it runs, so a hang-up is noticed too. */
    @Test
    void hangingUpOnAWholeAnswerCancelsTheGeneration() throws Exception {
        try (TestServer big = TestServer.start(2048, 1, 1, null, 1 << 16)) {
            long before = big.scheduler.stats().generatedTokens();
            String whole = "{\"prompt\":\"And\",\"max_tokens\":2000,\"temperature\":0,\"logit_bias\":"
                    + banEndTokens() + "}";
            try (Socket socket = TestClient.rawPost(big.port(), "/v1/completions", null, whole)) {
                String head = TestClient.readUntil(socket, "\r\n\r\n");
                assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                await(big, s -> s.active() == 1 && s.generatedTokens() > before);
            }
            SchedulerStats s = await(big, st -> st.active() == 0);
            long generated = s.generatedTokens() - before;
            assertTrue(generated < 1500, "a hung-up request kept generating: " + generated + " of 2000 tokens");
        }
    }

    @Test
    void closingTheServerEndsStreamsAndTheirGenerations() throws Exception {
        long before = server.scheduler.stats().generatedTokens();
        try (Socket socket = TestClient.rawPost(server.port(), "/v1/chat/completions", null, LONG_STREAM)) {
            TestClient.readUntil(socket, "\"content\":\"");
            await(server, s -> s.active() == 1);
            server.server.close();
            // the stream ends (the connection closes) rather than running on
            byte[] buffer = new byte[4096];
            while (socket.getInputStream().read(buffer) >= 0) {
                continue;
            }
        } catch (java.net.SocketException reset) {
            // a reset is an end too
        }
        SchedulerStats s = await(server, st -> st.active() == 0);
        assertTrue(s.generatedTokens() - before < 120, "generated " + (s.generatedTokens() - before));
    }

    @Test
    void promptFillingTheWholeContextStillAnswers() {
        StringBuilder ids = new StringBuilder("[");
        for (int i = 0; i < CONTEXT; i++) {
            ids.append(i == 0 ? "" : ",").append(200 + i % 300);
        }
        Reply r = client.post("/v1/completions", "{\"prompt\":" + ids + "],\"max_tokens\":8}");
        assertEquals(200, r.status(), r.body());
        JsonNode choice = r.json().get("choices").get(0);
        assertEquals("length", choice.get("finish_reason").asText(), r.body());
        Reply over = client.post("/v1/completions", "{\"prompt\":" + ids + ",5],\"max_tokens\":8}");
        assertError(over, 400, "prompt");
    }
}
