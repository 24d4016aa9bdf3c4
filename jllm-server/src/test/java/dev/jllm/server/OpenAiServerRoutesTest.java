package dev.jllm.server;

import static dev.jllm.server.TestClient.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.server.TestClient.Reply;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every route and method, the API key, the body limit, and the 400s that name their parameter. */
class OpenAiServerRoutesTest {
    private static final String KEY = "sk-jllm-test";
    private static final int LIMIT = 4096;
    private static TestServer server;
    private static TestClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start(256, 2, 8, KEY, LIMIT);
        client = new TestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void healthIsOpenWithoutKey() {
        Reply r = client.send("GET", "/health", null, null);
        assertEquals(200, r.status());
        assertEquals("ok", r.json().get("status").asText());
        assertError(client.send("POST", "/health", "{}", null), 405, null);
    }

    @Test
    void modelsListsTheServedModel() {
        Reply list = client.get("/v1/models");
        assertEquals(200, list.status());
        assertEquals("list", list.json().get("object").asText());
        assertEquals(1, list.json().get("data").size());
        JsonNode card = list.json().get("data").get(0);
        assertEquals(TestServer.MODEL_ID, card.get("id").asText());
        assertEquals("model", card.get("object").asText());
        assertEquals(1_700_000_000L, card.get("created").asLong());

        Reply one = client.get("/v1/models/" + TestServer.MODEL_ID);
        assertEquals(200, one.status());
        assertEquals(card, one.json());
        JsonNode missing = assertError(client.get("/v1/models/gpt-4o"), 404, "model");
        assertEquals("model_not_found", missing.get("code").asText());
    }

    @Test
    void unknownRouteIs404() {
        assertError(client.get("/v1/nothing"), 404, null);
        assertError(client.get("/"), 404, null);
        assertError(client.post("/v1/chat/completions/extra", "{}"), 404, null);
    }

    static Stream<Arguments> wrongMethods() {
        return Stream.of(Arguments.of("GET", "/v1/chat/completions", "POST"),
                Arguments.of("PUT", "/v1/chat/completions", "POST"), Arguments.of("GET", "/v1/completions", "POST"),
                Arguments.of("DELETE", "/v1/completions", "POST"), Arguments.of("GET", "/v1/embeddings", "POST"),
                Arguments.of("POST", "/v1/models", "GET"), Arguments.of("POST", "/v1/models/kjv", "GET"),
                Arguments.of("GET", "/tokenize", "POST"), Arguments.of("GET", "/detokenize", "POST"),
                Arguments.of("POST", "/metrics", "GET"), Arguments.of("PATCH", "/health", "GET"));
    }

    @ParameterizedTest
    @MethodSource("wrongMethods")
    void wrongMethodIs405(String method, String path, String allowed) {
        Reply r = client.send(method, path, method.equals("GET") ? null : "{}", KEY);
        JsonNode error = assertError(r, 405, null);
        assertEquals("method_not_allowed", error.get("code").asText());
        assertEquals(allowed, r.header("Allow"));
    }

    @Test
    void keyIsRequiredEverywhereButHealth() {
        for (String path : new String[] {"/v1/models", "/metrics", "/v1/models/kjv"}) {
            JsonNode missing = assertError(client.send("GET", path, null, null), 401, null);
            assertEquals("invalid_api_key", missing.get("code").asText());
            assertTrue(missing.get("message").asText().contains("missing"), missing::toString);
            JsonNode wrong = assertError(client.send("GET", path, null, KEY + "x"), 401, null);
            assertTrue(wrong.get("message").asText().contains("incorrect"), wrong::toString);
        }
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1}";
        assertError(client.post("/v1/chat/completions", chat, null), 401, null);
        assertError(client.post("/v1/chat/completions", chat, "sk-other"), 401, null);
        assertError(client.post("/v1/completions", "{\"prompt\":\"a\"}", ""), 401, null);
        assertError(client.post("/tokenize", "{\"content\":\"a\"}", null), 401, null);
        // a key sent without the Bearer scheme is no key
        Reply raw = client.send(HttpRequest.newBuilder(URI.create(server.base() + "/v1/models")).header(
                "Authorization", KEY).GET(), null);
        assertError(raw, 401, null);
        assertEquals(200, client.get("/v1/models").status());
    }

    @Test
    void unknownModelIs404() {
        String chat = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertEquals("model_not_found", assertError(client.post("/v1/chat/completions", chat), 404, "model").get(
                "code").asText());
        assertError(client.post("/v1/completions", "{\"model\":\"x\",\"prompt\":\"a\"}"), 404, "model");
        assertError(client.post("/v1/embeddings", "{\"model\":\"x\",\"input\":\"a\"}"), 404, "model");
    }

    @Test
    void embeddingsAreRefusedWithAReason() {
        assertError(client.post("/v1/embeddings", "{\"model\":\"kjv\",\"input\":\"a\"}"), 400, "model");
    }

    static Stream<Arguments> badBodies() {
        String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        String chat = "/v1/chat/completions";
        String text = "/v1/completions";
        return Stream.of(
                Arguments.of(chat, "{\"messages\": [", null),
                Arguments.of(chat, "not json", null),
                Arguments.of(chat, "", null),
                Arguments.of(chat, "[1,2]", null),
                Arguments.of(chat, "\"text\"", null),
                Arguments.of(chat, "{}", "messages"),
                Arguments.of(chat, "{\"messages\":[]}", "messages"),
                Arguments.of(chat, "{\"messages\":\"hi\"}", "messages"),
                Arguments.of(chat, "{\"messages\":[3]}", "messages[0]"),
                Arguments.of(chat, "{\"messages\":[{\"role\":\"king\",\"content\":\"hi\"}]}", "messages[0].role"),
                Arguments.of(chat, "{\"messages\":[{\"content\":\"hi\"}]}", "messages[0].role"),
                Arguments.of(chat, "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content"),
                Arguments.of(chat, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
                        "messages[0].content"),
                Arguments.of(chat, "{\"model\":5," + msgs + "}", "model"),
                Arguments.of(chat, "{" + msgs + ",\"temperature\":\"hot\"}", "temperature"),
                Arguments.of(chat, "{" + msgs + ",\"temperature\":2.5}", "temperature"),
                Arguments.of(chat, "{" + msgs + ",\"temperature\":-0.1}", "temperature"),
                Arguments.of(chat, "{" + msgs + ",\"top_p\":0}", "top_p"),
                Arguments.of(chat, "{" + msgs + ",\"top_p\":1.5}", "top_p"),
                Arguments.of(chat, "{" + msgs + ",\"top_k\":-1}", "top_k"),
                Arguments.of(chat, "{" + msgs + ",\"min_p\":2}", "min_p"),
                Arguments.of(chat, "{" + msgs + ",\"presence_penalty\":3}", "presence_penalty"),
                Arguments.of(chat, "{" + msgs + ",\"frequency_penalty\":\"1\"}", "frequency_penalty"),
                Arguments.of(chat, "{" + msgs + ",\"repetition_penalty\":0}", "repetition_penalty"),
                Arguments.of(chat, "{" + msgs + ",\"seed\":1.5}", "seed"),
                Arguments.of(chat, "{" + msgs + ",\"seed\":\"7\"}", "seed"),
                Arguments.of(chat, "{" + msgs + ",\"n\":0}", "n"),
                Arguments.of(chat, "{" + msgs + ",\"n\":17}", "n"),
                Arguments.of(chat, "{" + msgs + ",\"n\":true}", "n"),
                Arguments.of(chat, "{" + msgs + ",\"max_tokens\":0}", "max_tokens"),
                Arguments.of(chat, "{" + msgs + ",\"max_tokens\":-5}", "max_tokens"),
                Arguments.of(chat, "{" + msgs + ",\"max_tokens\":1e40}", "max_tokens"),
                Arguments.of(chat, "{" + msgs + ",\"max_tokens\":99999999999999}", "max_tokens"),
                Arguments.of(chat, "{" + msgs + ",\"max_completion_tokens\":\"ten\"}", "max_completion_tokens"),
                Arguments.of(chat, "{" + msgs + ",\"stop\":5}", "stop"),
                Arguments.of(chat, "{" + msgs + ",\"stop\":[\"a\",1]}", "stop"),
                Arguments.of(chat, "{" + msgs + ",\"stop\":\"\"}", "stop"),
                Arguments.of(chat, "{" + msgs + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\","
                        + "\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}", "stop"),
                Arguments.of(chat, "{" + msgs + ",\"logprobs\":1}", "logprobs"),
                Arguments.of(chat, "{" + msgs + ",\"top_logprobs\":3}", "top_logprobs"),
                Arguments.of(chat, "{" + msgs + ",\"logprobs\":true,\"top_logprobs\":21}", "top_logprobs"),
                Arguments.of(chat, "{" + msgs + ",\"logit_bias\":[1]}", "logit_bias"),
                Arguments.of(chat, "{" + msgs + ",\"logit_bias\":{\"x\":1}}", "logit_bias"),
                Arguments.of(chat, "{" + msgs + ",\"logit_bias\":{\"99999\":1}}", "logit_bias"),
                Arguments.of(chat, "{" + msgs + ",\"logit_bias\":{\"5\":101}}", "logit_bias"),
                Arguments.of(chat, "{" + msgs + ",\"logit_bias\":{\"5\":\"up\"}}", "logit_bias"),
                Arguments.of(chat, "{" + msgs + ",\"stream\":\"yes\"}", "stream"),
                Arguments.of(chat, "{" + msgs + ",\"stream_options\":{\"include_usage\":true}}", "stream_options"),
                Arguments.of(chat, "{" + msgs + ",\"stream\":true,\"stream_options\":7}", "stream_options"),
                Arguments.of(chat, "{" + msgs + ",\"stream\":true,\"stream_options\":{\"include_usage\":1}}",
                        "include_usage"),
                Arguments.of(chat, "{" + msgs + ",\"tools\":[{\"type\":\"function\"}]}", "tools"),
                Arguments.of(text, "{}", "prompt"),
                Arguments.of(text, "{\"prompt\":null}", "prompt"),
                Arguments.of(text, "{\"prompt\":5}", "prompt"),
                Arguments.of(text, "{\"prompt\":[]}", "prompt"),
                Arguments.of(text, "{\"prompt\":[1,-1]}", "prompt"),
                Arguments.of(text, "{\"prompt\":[1,4096]}", "prompt"),
                Arguments.of(text, "{\"prompt\":[1,2.5]}", "prompt"),
                Arguments.of(text, "{\"prompt\":[\"a\",{}]}", "prompt"),
                Arguments.of(text, "{\"prompt\":[\"a\",[]]}", "prompt"),
                Arguments.of(text, "{\"prompt\":\"\"}", "prompt"),
                Arguments.of(text, "{\"prompt\":\"a\",\"logprobs\":6}", "logprobs"),
                Arguments.of(text, "{\"prompt\":\"a\",\"logprobs\":true}", "logprobs"),
                Arguments.of(text, "{\"prompt\":\"a\",\"echo\":true}", "echo"),
                Arguments.of(text, "{\"prompt\":\"a\",\"echo\":\"no\"}", "echo"),
                Arguments.of(text, "{\"prompt\":\"a\",\"max_tokens\":0}", "max_tokens"),
                Arguments.of("/tokenize", "{}", "content"),
                Arguments.of("/tokenize", "{\"content\":7}", "content"),
                Arguments.of("/tokenize", "{\"content\":\"a\",\"add_special\":\"yes\"}", "add_special"),
                Arguments.of("/tokenize", "[]", null),
                Arguments.of("/detokenize", "{}", "tokens"),
                Arguments.of("/detokenize", "{\"tokens\":\"abc\"}", "tokens"),
                Arguments.of("/detokenize", "{\"tokens\":[1,-2]}", "tokens"),
                Arguments.of("/detokenize", "{\"tokens\":[5000]}", "tokens"),
                Arguments.of("/detokenize", "{\"tokens\":[\"a\"]}", "tokens"));
    }

    @ParameterizedTest
    @MethodSource("badBodies")
    void badBodyIs400NamingTheParam(String path, String body, String param) {
        JsonNode error = assertError(client.post(path, body), 400, param);
        assertEquals("invalid_request_error", error.get("type").asText());
        if (param == null) {
            assertTrue(error.get("param").isNull(), error::toString);
        }
    }

    @Test
    void promptLongerThanTheContextIs400() {
        StringBuilder ids = new StringBuilder("[");
        for (int i = 0; i < 300; i++) {
            ids.append(i == 0 ? "" : ",").append(100 + i % 50);
        }
        assertError(client.post("/v1/completions", "{\"prompt\":" + ids + "]}"), 400, "prompt");
    }

    @Test
    void bodyOverTheLimitWithContentLengthIs413() {
        String big = "{\"prompt\":\"" + "a".repeat(LIMIT) + "\"}";
        JsonNode error = assertError(client.post("/v1/completions", big), 413, null);
        assertEquals("request_too_large", error.get("code").asText());
        // exactly the limit is read; one byte more is not
        String fits = "{\"content\":\"" + "a".repeat(LIMIT - 14) + "\"}";
        assertEquals(LIMIT, fits.length());
        assertEquals(200, client.post("/tokenize", fits).status());
        assertError(client.post("/tokenize", fits + " "), 413, null);
        assertEquals(200, chunked("/tokenize", fits).status());
        assertError(chunked("/tokenize", fits + " "), 413, null);
    }

    /** Posts a body from a stream: HttpClient does not know its length, so it sends it chunked. */
    private static Reply chunked(String path, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return client.send(HttpRequest.newBuilder(URI.create(server.base() + path)).POST(
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))), KEY);
    }

    @Test
    void chunkedBodyOverTheLimitIs413() {
        assertError(chunked("/v1/completions", "{\"prompt\":\"" + "a".repeat(4 * LIMIT) + "\"}"), 413, null);
        Reply ok = chunked("/tokenize", "{\"content\":\"in the beginning\"}");
        assertEquals(200, ok.status(), ok.body());
    }

    @Test
    void chunkedBodyOverTheLimitOnARawSocketIs413() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(
                    StandardCharsets.US_ASCII));
            byte[] chunk = "a".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 8; i++) {
                out.write(("3e8\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            String reply = readHead(socket.getInputStream());
            assertTrue(reply.startsWith("HTTP/1.1 413 "), reply);
            // the rest of the body is never read: the connection cannot serve another request
            assertTrue(reply.toLowerCase().contains("\r\nconnection: close\r\n"), reply);
        }
    }

    /** The status line and headers of a raw reply. */
    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return head.toString();
    }
}
