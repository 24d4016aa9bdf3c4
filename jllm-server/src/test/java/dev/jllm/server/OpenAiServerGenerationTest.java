package dev.jllm.server;

import static dev.jllm.server.TestClient.events;
import static dev.jllm.server.TestClient.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.schedule.SequenceListener;
import dev.jllm.runtime.schedule.SequenceRequest;
import dev.jllm.runtime.schedule.SequenceResult;
import dev.jllm.runtime.stop.StopTokens;
import dev.jllm.server.TestClient.Reply;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generation through the API: the streamed format, usage, several choices, stop strings, the token
 * limit, log-probabilities, tokenize/detokenize and the metrics. Greedy answers are checked against
 * the same prompt run on the scheduler directly, without HTTP.
 */
class OpenAiServerGenerationTest {
    private static final String PROMPT = "And God said, Let there be";
    private static final String USER = "Who made the heaven and the earth?";
    private static TestServer server;
    private static TestClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start(256, 4, 16, null, 1 << 20);
        client = new TestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The prompt of one user message under ChatML, written out here as the template's oracle. */
    private static String chatml(String user) {
        return "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
    }

    private static ObjectNode chat(String user, int maxTokens) {
        ObjectNode body = TestClient.JSON.createObjectNode();
        body.put("model", TestServer.MODEL_ID);
        body.putArray("messages").addObject().put("role", "user").put("content", user);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        return body;
    }

    private static ObjectNode completion(String prompt, int maxTokens) {
        ObjectNode body = TestClient.JSON.createObjectNode();
        body.put("prompt", prompt);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        return body;
    }

    /** The greedy continuation of {@code ids} from the scheduler itself. */
    private static SequenceResult direct(int[] ids, int maxTokens, List<String> stop) throws InterruptedException {
        SequenceRequest request = new SequenceRequest(ids, SamplingParams.builder().temperature(0).build(),
                StopTokens.of(TestServer.endIds()), stop, maxTokens);
        return server.scheduler.submit(request, piece -> { }).await();
    }

    private static SequenceResult directText(String prompt, int maxTokens) throws InterruptedException {
        return direct(server.tokenizer.encode(prompt, true), maxTokens, List.of());
    }

    @Test
    void greedyCompletionMatchesTheSchedulerAndCountsUsage() throws InterruptedException {
        Reply r = client.post("/v1/completions", completion(PROMPT, 20));
        assertEquals(200, r.status(), r.body());
        JsonNode json = r.json();
        assertEquals("text_completion", json.get("object").asText());
        assertTrue(json.get("id").asText().startsWith("cmpl-"));
        assertEquals(TestServer.MODEL_ID, json.get("model").asText());
        SequenceResult expected = directText(PROMPT, 20);
        JsonNode choice = json.get("choices").get(0);
        assertEquals(expected.text(), choice.get("text").asText());
        assertEquals(expected.finishReason().openAiName(), choice.get("finish_reason").asText());
        JsonNode usage = json.get("usage");
        assertEquals(server.tokenizer.encode(PROMPT, true).length, usage.get("prompt_tokens").asInt());
        assertEquals(expected.tokens().length, usage.get("completion_tokens").asInt());
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
    }

    @Test
    void maxTokensEndsWithLength() {
        Reply r = client.post("/v1/completions", completion(PROMPT, 5));
        JsonNode json = r.json();
        assertEquals("length", json.get("choices").get(0).get("finish_reason").asText(), r.body());
        assertEquals(5, json.get("usage").get("completion_tokens").asInt());
        // chat takes the newer name too
        ObjectNode body = chat(USER, 99);
        body.remove("max_tokens");
        body.put("max_completion_tokens", 3);
        JsonNode c = client.post("/v1/chat/completions", body).json();
        assertEquals("length", c.get("choices").get(0).get("finish_reason").asText(), c::toString);
        assertEquals(3, c.get("usage").get("completion_tokens").asInt());
    }

    @Test
    void chatMatchesTheSchedulerOnTheChatmlPrompt() throws InterruptedException {
        Reply r = client.post("/v1/chat/completions", chat(USER, 16));
        assertEquals(200, r.status(), r.body());
        JsonNode json = r.json();
        assertEquals("chat.completion", json.get("object").asText());
        assertTrue(json.get("id").asText().startsWith("chatcmpl-"));
        int[] prompt = server.tokenizer.encode(chatml(USER), false, true);
        SequenceResult expected = direct(prompt, 16, List.of());
        JsonNode message = json.get("choices").get(0).get("message");
        assertEquals("assistant", message.get("role").asText());
        assertEquals(expected.text(), message.get("content").asText());
        assertEquals(prompt.length, json.get("usage").get("prompt_tokens").asInt());
        assertEquals(expected.tokens().length, json.get("usage").get("completion_tokens").asInt());
    }

    @Test
    void chatStreamHasOpenAisEventFormat() {
        ObjectNode body = chat(USER, 12);
        String whole = client.post("/v1/chat/completions", body).json().get("choices").get(0).get("message").get(
                "content").asText();
        body.put("stream", true);
        Reply r = client.post("/v1/chat/completions", body);
        assertEquals(200, r.status(), r.body());
        assertTrue(r.header("Content-Type").startsWith("text/event-stream"));
        List<String> events = events(r.body());
        assertEquals("[DONE]", events.getLast());
        StringBuilder text = new StringBuilder();
        String id = null;
        int finishes = 0;
        for (int i = 0; i < events.size() - 1; i++) {
            JsonNode chunk = parse(events.get(i));
            assertEquals("chat.completion.chunk", chunk.get("object").asText());
            assertFalse(chunk.has("usage"), "no usage without include_usage");
            id = id == null ? chunk.get("id").asText() : id;
            assertEquals(id, chunk.get("id").asText());
            assertEquals(1, chunk.get("choices").size());
            JsonNode choice = chunk.get("choices").get(0);
            assertEquals(0, choice.get("index").asInt());
            JsonNode delta = choice.get("delta");
            assertEquals(i == 0, delta.has("role"), "only the first delta has the role: " + chunk);
            if (i == 0) {
                assertEquals("assistant", delta.get("role").asText());
            }
            if (delta.has("content")) {
                text.append(delta.get("content").asText());
            }
            boolean last = i == events.size() - 2;
            assertEquals(last, !choice.get("finish_reason").isNull(), "only the last chunk finishes: " + chunk);
            if (last) {
                finishes++;
                assertEquals("length", choice.get("finish_reason").asText());
            }
        }
        assertEquals(1, finishes);
        assertEquals(whole, text.toString());
    }

    @Test
    void streamIncludesUsageOnlyWhenAsked() {
        ObjectNode body = completion(PROMPT, 8);
        JsonNode whole = client.post("/v1/completions", body).json();
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        List<String> events = events(client.post("/v1/completions", body).body());
        assertEquals("[DONE]", events.getLast());
        JsonNode usageChunk = parse(events.get(events.size() - 2));
        assertEquals(0, usageChunk.get("choices").size());
        // cached_tokens may differ: the second run reuses the first one's cache
        for (String field : new String[] {"prompt_tokens", "completion_tokens", "total_tokens"}) {
            assertEquals(whole.get("usage").get(field), usageChunk.get("usage").get(field), field);
        }
        assertTrue(usageChunk.get("usage").get("prompt_tokens_details").get("cached_tokens").isInt());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < events.size() - 2; i++) {
            JsonNode chunk = parse(events.get(i));
            assertEquals("text_completion", chunk.get("object").asText());
            assertTrue(chunk.get("usage").isNull(), "usage is null on every other chunk: " + chunk);
            text.append(chunk.get("choices").get(0).get("text").asText());
        }
        assertEquals(whole.get("choices").get(0).get("text").asText(), text.toString());
        body.with("stream_options").put("include_usage", false);
        for (String e : events(client.post("/v1/completions", body).body())) {
            assertFalse(e.contains("\"usage\""), e);
        }
    }

    @Test
    void severalChoicesHaveDistinctIndices() {
        ObjectNode body = chat(USER, 6);
        body.put("n", 3);
        body.put("temperature", 1.0);
        body.put("seed", 11);
        JsonNode json = client.post("/v1/chat/completions", body).json();
        Set<Integer> indices = new HashSet<>();
        for (JsonNode c : json.get("choices")) {
            indices.add(c.get("index").asInt());
        }
        assertEquals(Set.of(0, 1, 2), indices);
        // the same seed repeats the same choices
        assertEquals(json.get("choices"), client.post("/v1/chat/completions", body).json().get("choices"));

        body.put("stream", true);
        Map<Integer, StringBuilder> texts = new HashMap<>();
        Map<Integer, Integer> finishes = new HashMap<>();
        for (String e : events(client.post("/v1/chat/completions", body).body())) {
            if (e.equals("[DONE]")) {
                continue;
            }
            JsonNode choice = parse(e).get("choices").get(0);
            int index = choice.get("index").asInt();
            JsonNode content = choice.get("delta").get("content");
            texts.computeIfAbsent(index, k -> new StringBuilder()).append(content == null ? "" : content.asText());
            if (!choice.get("finish_reason").isNull()) {
                finishes.merge(index, 1, Integer::sum);
            }
        }
        assertEquals(Map.of(0, 1, 1, 1, 2, 1), finishes);
        for (JsonNode c : json.get("choices")) {
            assertEquals(c.get("message").get("content").asText(), texts.get(c.get("index").asInt()).toString());
        }
        // two prompts × n=2 in a text completion: four choices, indices 0..3
        ObjectNode text = completion(PROMPT, 3);
        text.putArray("prompt").add(PROMPT).add("The LORD is my shepherd");
        text.put("n", 2);
        JsonNode four = client.post("/v1/completions", text).json();
        Set<Integer> all = new HashSet<>();
        for (JsonNode c : four.get("choices")) {
            all.add(c.get("index").asInt());
        }
        assertEquals(Set.of(0, 1, 2, 3), all, four::toString);
        assertEquals(12, four.get("usage").get("completion_tokens").asInt(), four::toString);
    }

    @Test
    void stopStringCutsTheText() {
        ObjectNode body = completion(PROMPT, 30);
        String full = client.post("/v1/completions", body).json().get("choices").get(0).get("text").asText();
        assertTrue(full.length() > 12, full);
        String stop = full.substring(8, 11);
        body.putArray("stop").add(stop).add("\u0001never");
        JsonNode json = client.post("/v1/completions", body).json();
        JsonNode choice = json.get("choices").get(0);
        assertEquals(full.substring(0, full.indexOf(stop)), choice.get("text").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
        body.put("stream", true);
        StringBuilder streamed = new StringBuilder();
        for (String e : events(client.post("/v1/completions", body).body())) {
            if (!e.equals("[DONE]")) {
                streamed.append(parse(e).get("choices").get(0).get("text").asText());
            }
        }
        assertEquals(choice.get("text").asText(), streamed.toString());
    }

    @Test
    void logprobsOfGreedyTokensAreTheTopOnes() {
        ObjectNode body = chat(USER, 6);
        body.put("logprobs", true);
        body.put("top_logprobs", 3);
        JsonNode json = client.post("/v1/chat/completions", body).json();
        JsonNode content = json.get("choices").get(0).get("logprobs").get("content");
        assertEquals(json.get("usage").get("completion_tokens").asInt(), content.size());
        for (JsonNode t : content) {
            JsonNode top = t.get("top_logprobs");
            assertEquals(3, top.size());
            assertEquals(top.get(0).get("token").asText(), t.get("token").asText());
            assertEquals(top.get(0).get("logprob").asDouble(), t.get("logprob").asDouble(), 1e-6);
            assertTrue(t.get("logprob").asDouble() <= 0);
            assertTrue(top.get(0).get("logprob").asDouble() >= top.get(1).get("logprob").asDouble());
        }
    }

    @Test
    void textCompletionLogprobsUseTheLegacyArrays() {
        ObjectNode body = completion(PROMPT, 5);
        body.put("logprobs", 2);
        JsonNode json = client.post("/v1/completions", body).json();
        JsonNode choice = json.get("choices").get(0);
        JsonNode logprobs = choice.get("logprobs");
        int n = json.get("usage").get("completion_tokens").asInt();
        assertEquals(n, logprobs.get("tokens").size());
        assertEquals(n, logprobs.get("token_logprobs").size());
        assertEquals(n, logprobs.get("top_logprobs").size());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n; i++) {
            text.append(logprobs.get("tokens").get(i).asText());
            JsonNode top = logprobs.get("top_logprobs").get(i);
            assertEquals(2, top.size(), top::toString);
            // greedy: the chosen token is the most likely one
            double best = Double.NEGATIVE_INFINITY;
            for (JsonNode v : top) {
                best = Math.max(best, v.asDouble());
            }
            assertEquals(best, logprobs.get("token_logprobs").get(i).asDouble(), 1e-6);
            assertTrue(top.has(logprobs.get("tokens").get(i).asText()), top::toString);
        }
        assertEquals(choice.get("text").asText(), text.toString());
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() {
        String text = "In the beginning God created the heaven and the earth. ✝ — ünïcode";
        ObjectNode body = TestClient.JSON.createObjectNode().put("content", text);
        JsonNode tokens = client.post("/tokenize", body).json().get("tokens");
        int[] expected = server.tokenizer.encode(text, false);
        assertEquals(expected.length, tokens.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], tokens.get(i).asInt());
        }
        ObjectNode back = TestClient.JSON.createObjectNode();
        back.set("tokens", tokens);
        assertEquals(text, client.post("/detokenize", back).json().get("content").asText());
        body.put("with_pieces", true);
        StringBuilder pieces = new StringBuilder();
        for (JsonNode t : client.post("/tokenize", body).json().get("tokens")) {
            assertTrue(t.get("id").isInt());
            pieces.append(t.get("piece").asText());
        }
        assertEquals(text.replaceAll("[^\\x00-\\x7f]", ""), pieces.toString().replaceAll("[^\\x00-\\x7f]", ""));
        assertEquals("", client.post("/detokenize", "{\"tokens\":[]}").json().get("content").asText());
    }

    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*\\})? "
                    + "(-?[0-9.eE+-]+|NaN|[+-]Inf)");

    /** Parses Prometheus text: every line a HELP, a TYPE or a sample; samples keyed by name and labels. */
    static Map<String, Double> metrics(TestClient client) {
        Reply r = client.get("/metrics");
        assertEquals(200, r.status());
        assertTrue(r.header("Content-Type").startsWith("text/plain; version=0.0.4"), r.header("Content-Type"));
        Map<String, Double> out = new HashMap<>();
        Set<String> typed = new HashSet<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("# HELP ")) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                assertEquals(4, parts.length, line);
                assertTrue(Set.of("counter", "gauge", "histogram", "summary", "untyped").contains(parts[3]), line);
                assertTrue(typed.add(parts[2]), "TYPE twice: " + line);
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not a Prometheus sample: " + line);
            assertTrue(typed.contains(m.group(1)), "sample before its TYPE: " + line);
            out.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(4)));
        }
        return out;
    }

    /**
     * The metrics once {@code ready} holds (at most 10 s): a request is counted just after its reply
     * has gone out, so a client may scrape before its own request shows.
     */
    static Map<String, Double> metricsWhen(TestClient client, Predicate<Map<String, Double>> ready)
            throws InterruptedException {
        Map<String, Double> m = metrics(client);
        for (int i = 0; i < 1000 && !ready.test(m); i++) {
            Thread.sleep(10);
            m = metrics(client);
        }
        return m;
    }

    @Test
    void metricsCountRequestsAndTokens() throws InterruptedException {
        Map<String, Double> before = metrics(client);
        String key = "jllm_requests_total{route=\"/v1/completions\",status=\"200\"}";
        String bad = "jllm_requests_total{route=\"/v1/completions\",status=\"400\"}";
        JsonNode json = client.post("/v1/completions", completion(PROMPT, 7)).json();
        client.post("/v1/completions", "{\"prompt\":5}");
        Map<String, Double> after = metricsWhen(client, m -> m.getOrDefault(key, 0.0) > before.getOrDefault(key, 0.0)
                && m.getOrDefault(bad, 0.0) > before.getOrDefault(bad, 0.0));
        assertEquals(before.getOrDefault(key, 0.0) + 1, after.get(key));
        assertEquals(before.getOrDefault(bad, 0.0) + 1, after.get(bad));
        assertEquals(before.get("jllm_completion_tokens_total") + json.get("usage").get("completion_tokens").asInt(),
                after.get("jllm_completion_tokens_total"));
        assertEquals(before.get("jllm_prompt_tokens_total") + json.get("usage").get("prompt_tokens").asInt(),
                after.get("jllm_prompt_tokens_total"));
        assertTrue(after.get("jllm_generated_tokens_total") >= before.get("jllm_generated_tokens_total") + 6);
        assertTrue(after.get("jllm_batch_steps_total") > before.get("jllm_batch_steps_total"));
        assertEquals(0.0, after.get("jllm_sequences_active"));
        assertEquals(0.0, after.get("jllm_queue_depth"));
        assertNotEquals(null, after.get("jllm_tokens_per_second"));
    }
}
