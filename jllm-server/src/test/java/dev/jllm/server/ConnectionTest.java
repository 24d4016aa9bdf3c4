package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTP/1.1 on a raw socket: kept-alive connections after refusals, HEAD. */
class ConnectionTest {
    private static final int LIMIT = 4096;
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(128, 1, 4, "k", LIMIT);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** One reply: its status line and headers, then its body by Content-Length or chunked framing. */
    static String[] readReply(InputStream in) throws IOException {
        String head = OpenAiServerRoutesTest.readHead(in);
        int length = 0;
        boolean chunked = false;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
            chunked |= line.toLowerCase().startsWith("transfer-encoding:") && line.toLowerCase().contains("chunked");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (!chunked) {
            readBytes(in, length, body, head);
            return new String[] {head, body.toString(StandardCharsets.UTF_8)};
        }
        while (true) {
            int size = Integer.parseInt(readLine(in).strip(), 16);
            readBytes(in, size, body, head);
            readLine(in);
            if (size == 0) {
                return new String[] {head, body.toString(StandardCharsets.UTF_8)};
            }
        }
    }

    private static void readBytes(InputStream in, int n, ByteArrayOutputStream body, String head) throws IOException {
        for (int i = 0; i < n; i++) {
            int c = in.read();
            assertTrue(c >= 0, "the body ended early: " + head + body);
            body.write(c);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }

    private static String request(String method, String path, String key, String body) {
        return method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + (key == null ? "" : "Authorization: Bearer " + key
                + "\r\n") + (body == null ? "" : "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\n\r\n" + body) + (body == null ? "\r\n" : "");
    }

    @Test
    void connectionServesOnAfterRefusals() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            String big = "{\"content\":\"" + "a".repeat(2 * LIMIT) + "\"}";
            String[] steps = {
                request("POST", "/tokenize", "k", big), "413",
                request("POST", "/tokenize", "k", "{\"content\":\"And\"}"), "200",
                request("POST", "/tokenize", "wrong", "{\"content\":\"" + "b".repeat(LIMIT / 2) + "\"}"), "401",
                request("POST", "/tokenize", "k", "{\"content\":"), "400",
                request("GET", "/tokenize", "k", null), "405",
                request("POST", "/v1/completions", "k", "{\"prompt\":\"And\",\"max_tokens\":2}"), "200",
                request("GET", "/health", null, null), "200"};
            for (int i = 0; i < steps.length; i += 2) {
                out.write(steps[i].getBytes(StandardCharsets.UTF_8));
                out.flush();
                String[] reply = readReply(in);
                assertTrue(reply[0].startsWith("HTTP/1.1 " + steps[i + 1] + " "), "step " + i / 2 + ": " + reply[0]
                        + reply[1]);
                if (!steps[i + 1].equals("200")) {
                    TestClient.assertErrorShape(TestClient.parse(reply[1]));
                }
            }
        }
    }

    @Test
    void refusalsDrainTheBodyAndKeepTheConnection() throws Exception {
        byte[] body = ("{\"prompt\":\"" + "x".repeat(1 << 20) + "\"}").getBytes(StandardCharsets.UTF_8);
        for (String key : new String[] {"k", "wrong"}) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(20_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                        + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        out.write(body);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                InputStream in = socket.getInputStream();
                String[] reply = readReply(in);
                assertTrue(reply[0].startsWith(key.equals("k") ? "HTTP/1.1 413 " : "HTTP/1.1 401 "), reply[0]);
                // the refusal read and dropped the megabyte, so the connection serves on
                assertFalse(reply[0].toLowerCase().contains("\r\nconnection: close\r\n"), reply[0]);
                writer.join();
                out.write(request("GET", "/health", null, null).getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertTrue(readReply(in)[0].startsWith("HTTP/1.1 200 "));
            }
        }
    }

    @Test
    void pooledConnectionsLoseNoRequestAfterLargeRefusals() {
        // HttpClient reuses connections: one the server dropped after a 413 would fail the next request
        TestClient client = new TestClient(server);
        String big = "{\"prompt\":\"" + "x".repeat(2_000_000) + "\"}";
        for (int i = 0; i < 15; i++) {
            TestClient.assertError(client.post("/v1/completions", big), 413, null);
            assertEquals(200, client.post("/tokenize", "{\"content\":\"a\"}").status());
        }
    }

    @Test
    void headIsRefusedWithoutABody() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request("HEAD", "/health", null, null).getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().write(request("GET", "/health", null, null).getBytes(StandardCharsets.UTF_8));
            InputStream in = socket.getInputStream();
            String head = OpenAiServerRoutesTest.readHead(in);
            // HEAD is not GET here: refused, with the allowed method, and no body
            assertTrue(head.startsWith("HTTP/1.1 405 ") && head.contains("\r\nAllow: GET\r\n"), head);
            String[] next = readReply(in);
            assertTrue(next[0].startsWith("HTTP/1.1 200 "), head + "|" + next[0] + next[1]);
            assertEquals("{\"status\":\"ok\"}", next[1]);
        }
    }

    @Test
    void badChunkedFramingIs400() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("POST /tokenize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String[] reply = readReply(socket.getInputStream());
            assertTrue(reply[0].startsWith("HTTP/1.1 400 "), reply[0]);
            TestClient.assertErrorShape(TestClient.parse(reply[1]));
        }
    }

    @Test
    void brokenFramingIsRefusedAndTheServerServesOn() throws IOException {
        String post = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n";
        String[] broken = {
            "GARBAGE\r\n\r\n",
            "GET /health HTTP/9.9\r\n\r\n",
            "GET\r\n\r\n",
            post + "Content-Length: abc\r\n\r\n{}",
            post + "Content-Length: -5\r\n\r\n{}",
            post + "Content-Length: 99999999999999999999\r\n\r\n{}",

            post + "Transfer-Encoding: chunked\r\n\r\n10\r\n{}",
            post + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            "GET /health HTTP/1.1\r\nX-Long: " + "h".repeat(100_000) + "\r\n\r\n",
            post + "Content-Length: 100\r\n\r\n{\"prompt\":"};
        for (String request : broken) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(3_000);
                socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                socket.shutdownOutput();
                String head = OpenAiServerRoutesTest.readHead(socket.getInputStream());
                // the JDK's own framing errors close the connection or answer 4xx; never a 5xx
                assertTrue(head.isEmpty() || head.startsWith("HTTP/1.1 4") || head.startsWith("HTTP/1.1 200 "),
                        request.substring(0, Math.min(80, request.length())) + " -> " + head);
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                // a connection the server gave up on is fine; a hang of the server is not (checked below)
            }
        }
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request("GET", "/health", null, null).getBytes(StandardCharsets.UTF_8));
            assertTrue(readReply(socket.getInputStream())[0].startsWith("HTTP/1.1 200 "));
        }
    }
}
