package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Requests to a {@link TestServer} through the JDK's HttpClient, and checks of OpenAI's reply shapes. */
final class TestClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String key;

    /** An answer: status, raw body, and its header lookup. */
    record Reply(int status, String body, HttpResponse<?> response) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + body, e);
            }
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }
    }

    TestClient(TestServer server) {
        this(server.base(), server.key);
    }

    /** A client of the server at {@code base} (no trailing slash), sending {@code key} (or none when null). */
    TestClient(String base, String key) {
        this.base = base;
        this.key = key;
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), key);
    }

    Reply post(String path, String body) {
        return post(path, body, key);
    }

    Reply post(String path, String body, String withKey) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)), withKey);
    }

    Reply post(String path, JsonNode body) {
        return post(path, body.toString());
    }

    Reply send(String method, String path, String body, String withKey) {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return send(HttpRequest.newBuilder(URI.create(base + path)).method(method, publisher), withKey);
    }

    Reply send(HttpRequest.Builder request, String withKey) {
        if (withKey != null) {
            request.header("Authorization", "Bearer " + withKey);
        }
        request.timeout(Duration.ofSeconds(60));
        try {
            HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString(
                    StandardCharsets.UTF_8));
            return new Reply(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Checks OpenAI's error shape: status, {"error": {message, type, param, code}}, and the param named. */
    static JsonNode assertError(Reply r, int status, String param) {
        assertEquals(status, r.status(), () -> "status of " + r.body());
        assertTrue(r.header("Content-Type").startsWith("application/json"), r.header("Content-Type"));
        JsonNode root = r.json();
        assertErrorShape(root);
        if (param != null) {
            assertEquals(param, root.get("error").get("param").asText(), root::toString);
        }
        return root.get("error");
    }

    /** The error object has exactly OpenAI's four fields with the right types. */
    static void assertErrorShape(JsonNode root) {
        assertTrue(root.isObject() && root.size() == 1 && root.has("error"), root::toString);
        JsonNode e = root.get("error");
        assertTrue(e.get("message").isTextual() && !e.get("message").asText().isBlank(), root::toString);
        assertTrue(e.get("type").isTextual(), root::toString);
        assertTrue(e.has("param") && (e.get("param").isNull() || e.get("param").isTextual()), root::toString);
        assertTrue(e.has("code") && (e.get("code").isNull() || e.get("code").isTextual()), root::toString);
        assertEquals(4, e.size(), root::toString);
    }

    /**
     * Splits a Server-Sent Events body into the payloads of its {@code data:} events, checking that every
     * event is exactly one {@code data: ...} line followed by a blank line.
     */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String event : body.split("\n\n", -1)) {
            if (event.isEmpty()) {
                continue;
            }
            if (!event.startsWith("data: ") || event.indexOf('\n') >= 0) {
                fail("malformed event " + event.replace("\n", "\\n") + " in " + body);
            }
            out.add(event.substring("data: ".length()));
        }
        assertTrue(body.endsWith("\n\n"), "the stream ends mid-event");
        return out;
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    /**
     * Opens a raw connection and sends one POST with a JSON body (as a client that may then read a
     * little and hang up would).
     */
    static Socket rawPost(int port, String path, String key, String body) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + (key == null ? "" : "Authorization: Bearer " + key + "\r\n") + "Content-Length: " + bytes.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return socket;
    }

    /** Reads from a raw connection until {@code marker} has been seen; returns what was read. */
    static String readUntil(Socket socket, String marker) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder seen = new StringBuilder();
        byte[] buffer = new byte[512];
        while (seen.indexOf(marker) < 0) {
            int n = in.read(buffer);
            if (n < 0) {
                throw new AssertionError("the server closed before '" + marker + "': " + seen);
            }
            seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        return seen.toString();
    }
}
