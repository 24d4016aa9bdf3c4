package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jllm.formats.template.TemplateException;
import dev.jllm.runtime.chat.ChatPrompt;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The OpenAI-compatible HTTP API over one {@link ServedModel}: {@code POST /v1/chat/completions},
 * {@code POST /v1/completions}, {@code POST /v1/embeddings}, {@code GET /v1/models}, {@code GET /health},
 * {@code POST /tokenize}, {@code POST /detokenize} and {@code GET /metrics}. Every request runs on its
 * own virtual thread; generation goes through the model's scheduler. All routes but {@code /health}
 * need the API key when one is set.
 */
public final class OpenAiServer implements AutoCloseable {
    /** Reported as {@code system_fingerprint}. */
    static final String FINGERPRINT = "jllm-0.1.0";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Set<String> ROUTES = Set.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings",
            "/v1/models", "/health", "/tokenize", "/detokenize", "/metrics");

    private final ServedModel model;
    private final EmbeddingsEndpoint embeddings;
    private final ServerOptions options;
    private final ServerMetrics metrics = new ServerMetrics();
    private final long created = System.currentTimeMillis() / 1000;
    private final byte[] keyDigest;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * Binds the address and starts serving.
     *
     * @throws IOException if the address cannot be bound
     */
    public OpenAiServer(ServedModel model, ServerOptions options) throws IOException {
        this(model, null, options);
    }

    /**
     * Binds the address and starts serving {@code model}, and {@code embeddings} on {@code /v1/embeddings}.
     *
     * @param model the text generator, or null for a server of embeddings alone (the generation routes then
     *     answer 400)
     * @param embeddings the embedding model, or null for none (the route then answers 400)
     * @throws IllegalArgumentException if both are null
     * @throws IOException if the address cannot be bound
     */
    public OpenAiServer(ServedModel model, ServedEmbeddings embeddings, ServerOptions options) throws IOException {
        if (model == null && embeddings == null) {
            throw new IllegalArgumentException("a server needs a text generator, an embedding model or both");
        }
        this.model = model;
        this.embeddings = embeddings == null ? null : new EmbeddingsEndpoint(embeddings);
        this.options = options;
        this.keyDigest = options.apiKey() == null ? null : sha256(options.apiKey());
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 128);
        http.createContext("/", this::handle);
        http.setExecutor(executor);
        http.start();
    }

    /** The port it listens on (the chosen one when the options said 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Stops listening and ends the requests in flight. The scheduler stays open (its owner closes it). */
    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange he) {
        ApiExchange ex = new ApiExchange(he, options.maxBodyBytes());
        String path = ex.path();
        String route = ROUTES.contains(path) || path.startsWith("/v1/models/") ? path.replaceFirst("^/v1/models/.*",
                "/v1/models/{id}") : "other";
        int status = 200;
        metrics.started();
        try {
            dispatch(ex, path);
        } catch (ApiException e) {
            status = e.status();
            reply(ex, e);
        } catch (IOException e) {
            status = 499; // the client closed the connection
        } catch (InterruptedException e) {
            status = 503;
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            status = 500;
            reply(ex, new ApiException(500, "server_error", null, null, "internal error: " + e));
        } finally {
            metrics.ended();
            metrics.request(route, status);
            ex.close();
        }
    }

    private static void reply(ApiExchange ex, ApiException e) {
        if (ex.replied()) {
            return;
        }
        try {
            if (e.status() == 503) {
                ex.addHeader("Retry-After", "1");
            }
            ex.sendJson(e.status(), e.body());
        } catch (IOException ignored) {
            // the client is gone; nothing to tell it
        }
    }

    private void dispatch(ApiExchange ex, String path) throws IOException, InterruptedException {
        if (path.equals("/health")) {
            method(ex, "GET");
            ex.sendJson(200, F.objectNode().put("status", "ok"));
            return;
        }
        authorize(ex);
        switch (path) {
            case "/v1/chat/completions" -> {
                method(ex, "POST");
                chatCompletions(ex);
            }
            case "/v1/completions" -> {
                method(ex, "POST");
                completions(ex);
            }
            case "/v1/embeddings" -> {
                method(ex, "POST");
                JsonNode body = ex.readJson();
                String name = RequestFields.text(body, "model");
                if (embeddings == null || model != null && name != null && name.equals(model.id())
                        && !name.equals(embeddings.id())) {
                    checkModel(body);
                    throw ApiException.invalid("model", "model '" + model.id() + "' is a text generator and produces "
                            + "no embeddings; start the server with --embeddings MODEL");
                }
                if (name != null && !name.equals(embeddings.id())) {
                    throw ApiException.notFound("model", "model_not_found", "the model '" + name + "' does not exist; "
                            + "this server embeds with '" + embeddings.id() + "'");
                }
                ex.sendJson(200, embeddings.answer(body));
            }
            case "/v1/models" -> {
                method(ex, "GET");
                ObjectNode list = F.objectNode().put("object", "list");
                ArrayNode data = list.putArray("data");
                if (model != null) {
                    data.add(card(model.id()));
                }
                if (embeddings != null) {
                    data.add(card(embeddings.id()));
                }
                ex.sendJson(200, list);
            }
            case "/tokenize" -> {
                method(ex, "POST");
                tokenize(ex);
            }
            case "/detokenize" -> {
                method(ex, "POST");
                detokenize(ex);
            }
            case "/metrics" -> {
                method(ex, "GET");
                ex.sendText(200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.exposition(model == null ? null : model.scheduler().stats()));
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    method(ex, "GET");
                    String id = path.substring("/v1/models/".length());
                    if (embeddings != null && id.equals(embeddings.id())) {
                        ex.sendJson(200, card(id));
                        return;
                    }
                    if (model == null || !id.equals(model.id())) {
                        throw ApiException.notFound("model", "model_not_found", "the model '" + id + "' does not exist");
                    }
                    ex.sendJson(200, card(id));
                    return;
                }
                throw ApiException.notFound(null, "not_found", "no route " + ex.method() + " " + path);
            }
        }
    }

    private ObjectNode card(String id) {
        return F.objectNode().put("id", id).put("object", "model")
                .put("created", model != null ? model.created() : created).put("owned_by", "jllm");
    }

    private static void method(ApiExchange ex, String expected) {
        if (!ex.method().equals(expected)) {
            ex.addHeader("Allow", expected); // a 405 must say which method the route takes (RFC 9110)
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", ex.path() + " takes "
                    + expected + ", not " + ex.method());
        }
    }

    /** Checks the bearer key by comparing SHA-256 digests, in time independent of where they differ. */
    private void authorize(ApiExchange ex) {
        if (keyDigest == null) {
            return;
        }
        String header = ex.header("Authorization");
        String given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip()
                : "";
        if (!MessageDigest.isEqual(keyDigest, sha256(given))) {
            throw new ApiException(401, "invalid_request_error", null, "invalid_api_key", header == null
                    ? "missing API key: send it as 'Authorization: Bearer KEY'" : "incorrect API key");
        }
    }

    /** A server of embeddings alone answers the routes that need the text generator with 400, naming param. */
    private void requireGenerator(String param) {
        if (model == null) {
            throw ApiException.invalid(param, "this server has no text generator; it serves only the embedding "
                    + "model '" + embeddings.id() + "' on /v1/embeddings");
        }
    }

    private void checkModel(JsonNode body) {
        requireGenerator("model");
        String name = RequestFields.text(body, "model");
        if (name != null && !name.equals(model.id())) {
            throw ApiException.notFound("model", "model_not_found", "the model '" + name + "' does not exist; this "
                    + "server has '" + model.id() + "'");
        }
    }

    private void chatCompletions(ApiExchange ex) throws IOException, InterruptedException {
        JsonNode body = ex.readJson();
        checkModel(body);
        List<Map<String, Object>> messages = ChatMessages.read(body);
        if (!RequestFields.absent(body, "tools")) {
            throw ApiException.invalid("tools", "tool calling is not supported yet");
        }
        GenerationParams params = GenerationParams.read(body, true, model.tokenizer().vocabSize());
        String prompt;
        try {
            prompt = ChatPrompt.render(model.template(), model.tokenizer(), messages);
        } catch (TemplateException e) {
            throw ApiException.invalid("messages", "the chat template refused the messages: " + e.getMessage());
        }
        // the template writes BOS itself where the model wants one
        int[] ids = model.tokenizer().encode(prompt, false, true);
        if (ids.length == 0) {
            throw ApiException.invalid("messages", "the messages render to an empty prompt");
        }
        new CompletionRun(ex, model, metrics, true, params, List.of(ids)).respond();
    }

    private void completions(ApiExchange ex) throws IOException, InterruptedException {
        JsonNode body = ex.readJson();
        checkModel(body);
        GenerationParams params = GenerationParams.read(body, false, model.tokenizer().vocabSize());
        if (RequestFields.bool(body, "echo", false)) {
            throw ApiException.invalid("echo", "'echo' is not supported");
        }
        new CompletionRun(ex, model, metrics, false, params, prompts(body.get("prompt"))).respond();
    }

    /** The prompt field of a text completion: a string, token ids, or an array of either. */
    private List<int[]> prompts(JsonNode prompt) {
        List<int[]> out = new ArrayList<>();
        if (prompt == null || prompt.isNull()) {
            throw ApiException.invalid("prompt", "'prompt' is required");
        }
        if (prompt.isTextual()) {
            out.add(encode(prompt.asText()));
        } else if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isIntegralNumber()) {
            out.add(ids(prompt, "prompt"));
        } else if (prompt.isArray() && !prompt.isEmpty() && prompt.size() <= GenerationParams.MAX_CHOICES) {
            for (int i = 0; i < prompt.size(); i++) {
                JsonNode p = prompt.get(i);
                if (p.isTextual()) {
                    out.add(encode(p.asText()));
                } else if (p.isArray()) {
                    out.add(ids(p, "prompt[" + i + "]"));
                } else {
                    throw ApiException.invalid("prompt", "'prompt[" + i + "]' must be a string or token ids");
                }
            }
        } else {
            throw ApiException.invalid("prompt", "'prompt' must be a string, token ids, or an array of at most "
                    + GenerationParams.MAX_CHOICES + " of them");
        }
        return out;
    }

    private int[] encode(String text) {
        int[] ids = model.tokenizer().encode(text, true);
        if (ids.length == 0) {
            throw ApiException.invalid("prompt", "the prompt is empty");
        }
        return ids;
    }

    private int[] ids(JsonNode array, String param) {
        int vocab = model.tokenizer().vocabSize();
        if (array.isEmpty()) {
            throw ApiException.invalid(param.replaceAll("\\[.*", ""), "'" + param + "' is empty");
        }
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = array.get(i);
            if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() >= vocab) {
                throw ApiException.invalid(param.replaceAll("\\[.*", ""), "'" + param + "[" + i + "]' must be a token id in 0.." + (vocab - 1)
                        + ", got " + v);
            }
            ids[i] = v.asInt();
        }
        return ids;
    }

    private void tokenize(ApiExchange ex) throws IOException {
        JsonNode body = ex.readJson();
        requireGenerator(null);
        String content = RequestFields.text(body, "content");
        if (content == null) {
            throw ApiException.invalid("content", "'content' (the text to tokenize) is required");
        }
        boolean addSpecial = RequestFields.bool(body, "add_special", false);
        boolean withPieces = RequestFields.bool(body, "with_pieces", false);
        int[] ids = model.tokenizer().encode(content, addSpecial, true);
        ObjectNode out = F.objectNode();
        ArrayNode tokens = out.putArray("tokens");
        for (int id : ids) {
            if (withPieces) {
                tokens.addObject().put("id", id).put("piece",
                        new String(model.tokenizer().pieceBytes(id, false), StandardCharsets.UTF_8));
            } else {
                tokens.add(id);
            }
        }
        ex.sendJson(200, out);
    }

    private void detokenize(ApiExchange ex) throws IOException {
        JsonNode body = ex.readJson();
        requireGenerator(null);
        JsonNode tokens = body.get("tokens");
        if (tokens == null || !tokens.isArray()) {
            throw ApiException.invalid("tokens", "'tokens' must be an array of token ids");
        }
        int[] ids = tokens.isEmpty() ? new int[0] : ids(tokens, "tokens");
        ex.sendJson(200, F.objectNode().put("content", model.tokenizer().decode(ids)));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
