package dev.jllm.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP exchange as the API sees it: a JSON body read under a size limit, and a reply that is
 * either one JSON document or a stream of Server-Sent Events.
 */
final class ApiExchange {
    static final ObjectMapper JSON = new ObjectMapper();
    /** How much of an unread body the JDK's server reads away before it gives up on the connection. */
    /** The most of an unread request body a refusal reads and drops to keep the connection open. */
    static final long DRAIN_BYTES = 16L << 20;
    private final HttpExchange exchange;
    private final long maxBodyBytes;
    private OutputStream events;
    private boolean replied;
    private boolean bodyRead;

    ApiExchange(HttpExchange exchange, long maxBodyBytes) {
        this.exchange = exchange;
        this.maxBodyBytes = maxBodyBytes;
    }

    String method() {
        return exchange.getRequestMethod();
    }

    String path() {
        return exchange.getRequestURI().getPath();
    }

    String header(String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    boolean replied() {
        return replied;
    }

    /**
     * The body as a JSON object.
     *
     * @throws ApiException 413 when it exceeds the limit, 400 when it is not a JSON object
     */
    JsonNode readJson() throws IOException {
        String length = header("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > maxBodyBytes) {
                    // the refusal drains the body (up to DRAIN_BYTES) before it is sent
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw ApiException.invalid(null, "the Content-Length header is not a number");
            }
        }
        byte[] body;
        try {
            body = readLimited(exchange.getRequestBody());
        } catch (IOException e) {
            // broken chunked framing or a body cut short: say so (if the client is gone, nobody hears it)
            throw ApiException.invalid(null, "the request body could not be read: " + e.getMessage());
        }
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiException.invalid(null, "the body must be a JSON object");
        }
        return node;
    }

    private byte[] readLimited(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16384];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > maxBodyBytes) {
                // the rest is drained (or the connection closed) when the refusal is sent
                throw tooLarge();
            }
            out.write(buffer, 0, n);
        }
        bodyRead = true;
        return out.toByteArray();
    }

    private ApiException tooLarge() {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "the request body exceeds the limit of " + maxBodyBytes + " bytes");
    }

    /** Replies with one JSON document. */
    void sendJson(int status, JsonNode body) throws IOException {
        send(status, "application/json", JSON.writeValueAsBytes(body));
    }

    /** Replies with plain text (the metrics). */
    void sendText(int status, String contentType, String body) throws IOException {
        send(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private void send(int status, String contentType, byte[] bytes) throws IOException {
        replied = true;
        boolean closing = closeIfBodyUnread();
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
            out.flush();
            if (closing) {
                // read on until the client, told to close, hangs up: closing a socket with unread bytes
                // resets it, and the reset can destroy the reply before the client reads it
                drain(DRAIN_BYTES);
            }
        }
    }

    /** Reads and drops up to {@code limit} bytes of the request body; whether its end was reached. */
    private boolean drain(long limit) {
        try {
            InputStream in = exchange.getRequestBody();
            byte[] buffer = new byte[16384];
            long total = 0;
            int n;
            while (total <= limit && (n = in.read(buffer)) >= 0) {
                total += n;
            }
            return total <= limit;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Before a reply that did not read the request body (a refusal), reads and drops a body whose
     * Content-Length is at most {@link #DRAIN_BYTES} so that the connection stays usable; a larger or
     * chunked body (or one that cannot be read) gets {@code Connection: close} instead, and is read on
     * after the reply (see {@link #send}).
     *
     * @return whether the connection is to close Otherwise the JDK's server, which drains only 64 KiB,
     * drops the connection without a word and a client that reuses it loses its next request.
     */
    private boolean closeIfBodyUnread() {
        if (bodyRead) {
            return false;
        }
        String length = header("Content-Length");
        long declared;
        try {
            // neither header: the request has no body
            declared = header("Transfer-Encoding") != null ? -1 : length == null ? 0 : Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            declared = -1;
        }
        // a chunked body of unknown length may never end: do not wait for it before replying
        bodyRead = declared >= 0 && declared <= DRAIN_BYTES && drain(DRAIN_BYTES);
        if (!bodyRead) {
            exchange.getResponseHeaders().set("Connection", "close");
        }
        return !bodyRead;
    }

    /** Starts a Server-Sent Events reply (status 200, chunked). */
    void startEvents() throws IOException {
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        startChunked("text/event-stream");
    }

    /**
     * Starts a JSON reply (status 200, chunked) whose document follows later: until then
     * {@link #write} can send whitespace, which JSON ignores, to learn whether the client is still there.
     */
    void startJsonLater() throws IOException {
        startChunked("application/json");
    }

    private void startChunked(String contentType) throws IOException {
        replied = true;
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(200, 0);
        events = exchange.getResponseBody();
    }

    /**
     * Sends text on a started reply and flushes it.
     *
     * @throws IOException when the client has gone away
     */
    void write(String text) throws IOException {
        events.write(text.getBytes(StandardCharsets.UTF_8));
        events.flush();
    }

    /**
     * Sends one event {@code data: ...} and flushes it to the client.
     *
     * @throws IOException when the client has gone away
     */
    void sendEvent(String data) throws IOException {
        write("data: " + data + "\n\n");
    }

    /** Sends one event holding a JSON document. */
    void sendEvent(JsonNode data) throws IOException {
        sendEvent(JSON.writeValueAsString(data));
    }

    void addHeader(String name, String value) {
        exchange.getResponseHeaders().add(name, value);
    }

    /** Ends the exchange (also after an event stream). */
    void close() {
        exchange.close();
    }
}
