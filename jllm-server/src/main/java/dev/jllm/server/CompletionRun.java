package dev.jllm.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.runtime.ContextOverflowException;
import dev.jllm.runtime.sampling.TokenLogprobs;
import dev.jllm.runtime.schedule.QueueFullException;
import dev.jllm.runtime.schedule.SequenceRequest;
import dev.jllm.runtime.schedule.SequenceResult;
import dev.jllm.runtime.schedule.Ticket;
import dev.jllm.runtime.stop.StopTokens;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One chat or text completion request: submits a sequence per choice (prompts × n), then answers with
 * one JSON document or streams Server-Sent Events as the choices advance. When the client goes away
 * mid-stream every choice is cancelled.
 */
final class CompletionRun {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** OpenAI's stand-in for the log-probability of an impossible token (JSON has no −∞). */
    private static final double NO_CHANCE = -9999.0;
    /** How often a non-streamed answer checks, by writing a space, that its client is still there. */
    static final long HEARTBEAT_MILLIS = 250;

    private final ApiExchange exchange;
    private final ServedModel model;
    private final ServerMetrics metrics;
    private final boolean chat;
    private final GenerationParams params;
    private final List<int[]> prompts;
    private final String id;
    private final long created = System.currentTimeMillis() / 1000;
    private final Choice[] choices;

    /** What the request has seen of one choice. */
    private static final class Choice {
        final StringBuilder text = new StringBuilder();
        final List<TokenLogprobs> logprobs = new ArrayList<>();
        int logprobsSent;
        int textOffset;
        Ticket ticket;
        SequenceResult result;
    }

    CompletionRun(ApiExchange exchange, ServedModel model, ServerMetrics metrics, boolean chat, GenerationParams params,
            List<int[]> prompts) {
        this.exchange = exchange;
        this.model = model;
        this.metrics = metrics;
        this.chat = chat;
        this.params = params;
        this.prompts = prompts;
        this.id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        this.choices = new Choice[prompts.size() * params.n()];
    }

    void respond() throws IOException, InterruptedException {
        ChoiceEvents events = new ChoiceEvents();
        submit(events);
        try {
            if (params.stream()) {
                stream(events);
            } else {
                collect(events);
            }
        } finally {
            for (Choice c : choices) {
                c.ticket.cancel();
            }
        }
    }

    private void submit(ChoiceEvents events) {
        String promptParam = chat ? "messages" : "prompt";
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice();
            int[] prompt = prompts.get(i / params.n());
            SequenceRequest request = new SequenceRequest(prompt, params.samplingFor(i % params.n()),
                    StopTokens.of(model.endIds()), params.stop(), params.maxTokens(), params.topLogprobs());
            try {
                choices[i].ticket = model.scheduler().submit(request, events.listener(i));
            } catch (RuntimeException e) {
                for (int j = 0; j < i; j++) {
                    choices[j].ticket.cancel();
                }
                throw switch (e) {
                    case QueueFullException q -> new ApiException(503, "server_error", null, "server_busy",
                            q.getMessage());
                    case ContextOverflowException c -> ApiException.invalid(promptParam, "the prompt has "
                            + prompt.length + " tokens but the context holds " + c.context());
                    case IllegalArgumentException a -> ApiException.invalid(promptParam, a.getMessage());
                    default -> e;
                };
            }
        }
    }

    /**
     * Waits for every choice to finish, gathering their text and log-probabilities, then sends the whole
     * answer. The 200 goes out at once and a space (which JSON ignores) every {@link #HEARTBEAT_MILLIS}
     * while the choices run: the JDK's server says nothing of a client that hangs up, but a write to it
     * fails, and that cancels the generation instead of running it to its end for nobody.
     */
    private void collect(ChoiceEvents events) throws IOException, InterruptedException {
        exchange.startJsonLater();
        try {
            long lastWrite = System.nanoTime();
            int open = choices.length;
            while (open > 0) {
                ChoiceEvents.Event e = events.next(HEARTBEAT_MILLIS);
                if (System.nanoTime() - lastWrite >= HEARTBEAT_MILLIS * 1_000_000L) {
                    exchange.write(" ");
                    lastWrite = System.nanoTime();
                }
                if (e == null) {
                    continue;
                }
                Choice c = choices[e.index()];
                switch (e) {
                    case ChoiceEvents.Text t -> c.text.append(t.piece());
                    case ChoiceEvents.Token t -> addLogprobs(c, t);
                    case ChoiceEvents.Finished f -> {
                        c.result = f.result();
                        open--;
                    }
                    case ChoiceEvents.Failed f -> {
                        // the status is sent already: the body carries the error
                        exchange.write(ApiExchange.JSON.writeValueAsString(failure(f.error()).body()));
                        return;
                    }
                }
            }
            record();
            exchange.write(ApiExchange.JSON.writeValueAsString(whole()));
        } finally {
            exchange.close();
        }
    }

    private void stream(ChoiceEvents events) throws IOException, InterruptedException {
        exchange.startEvents();
        try {
            if (chat) {
                for (int i = 0; i < choices.length; i++) {
                    ObjectNode delta = F.objectNode().put("role", "assistant").put("content", "");
                    exchange.sendEvent(chunk(i, delta, null, null));
                }
            }
            int open = choices.length;
            while (open > 0) {
                ChoiceEvents.Event e = events.next();
                Choice c = choices[e.index()];
                switch (e) {
                    case ChoiceEvents.Text t -> {
                        c.text.append(t.piece());
                        exchange.sendEvent(chunk(e.index(), chat ? F.objectNode().put("content", t.piece()) : null,
                                t.piece(), null));
                    }
                    case ChoiceEvents.Token t -> addLogprobs(c, t);
                    case ChoiceEvents.Finished f -> {
                        c.result = f.result();
                        open--;
                        exchange.sendEvent(chunk(e.index(), chat ? F.objectNode() : null, "", finishReason(c)));
                    }
                    case ChoiceEvents.Failed f -> {
                        ApiException error = failure(f.error());
                        exchange.sendEvent(error.body());
                        return;
                    }
                }
            }
            record();
            if (params.includeUsage()) {
                ObjectNode last = envelope(chat ? "chat.completion.chunk" : "text_completion");
                last.putArray("choices");
                last.set("usage", usage());
                exchange.sendEvent(last);
            }
            exchange.sendEvent("[DONE]");
        } finally {
            exchange.close();
        }
    }

    private void addLogprobs(Choice c, ChoiceEvents.Token t) {
        if (t.logprobs() != null) {
            c.logprobs.add(t.logprobs());
        }
    }

    private void record() {
        long completion = 0;
        for (Choice c : choices) {
            completion += c.result.tokens().length;
        }
        metrics.tokens(promptTokens(), completion);
    }

    private ApiException failure(RuntimeException error) {
        return new ApiException(500, "server_error", null, null, "generation failed: " + error.getMessage());
    }

    private ObjectNode envelope(String object) {
        ObjectNode o = F.objectNode();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        o.put("model", model.id());
        o.put("system_fingerprint", OpenAiServer.FINGERPRINT);
        return o;
    }

    /** A streamed chunk for one choice: a chat delta, or a text piece for text completions. */
    private ObjectNode chunk(int index, ObjectNode delta, String text, String finishReason) {
        ObjectNode o = envelope(chat ? "chat.completion.chunk" : "text_completion");
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", index);
        if (chat) {
            choice.set("delta", delta);
        } else {
            choice.put("text", text);
        }
        Choice c = choices[index];
        if (params.topLogprobs() >= 0 && (text != null && !text.isEmpty() || finishReason != null)) {
            choice.set("logprobs", logprobs(c, c.logprobs.subList(c.logprobsSent, c.logprobs.size())));
            c.logprobsSent = c.logprobs.size();
        } else {
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", finishReason);
        if (params.includeUsage()) {
            o.putNull("usage");
        }
        return o;
    }

    /** The non-streamed answer. */
    private ObjectNode whole() {
        ObjectNode o = envelope(chat ? "chat.completion" : "text_completion");
        ArrayNode list = o.putArray("choices");
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            ObjectNode choice = list.addObject();
            choice.put("index", i);
            if (chat) {
                ObjectNode message = choice.putObject("message");
                message.put("role", "assistant");
                message.put("content", c.text.toString());
            } else {
                choice.put("text", c.text.toString());
            }
            if (params.topLogprobs() >= 0) {
                choice.set("logprobs", logprobs(c, c.logprobs));
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", finishReason(c));
        }
        o.set("usage", usage());
        return o;
    }

    private String finishReason(Choice c) {
        return c.result.finishReason() == null ? "stop" : c.result.finishReason().openAiName();
    }

    private long promptTokens() {
        long n = 0;
        for (int[] p : prompts) {
            n += p.length;
        }
        return n;
    }

    private ObjectNode usage() {
        long completion = 0;
        long cached = 0;
        for (int i = 0; i < choices.length; i++) {
            completion += choices[i].result.tokens().length;
            if (i % params.n() == 0) {
                cached += choices[i].result.cachedTokens();
            }
        }
        ObjectNode u = F.objectNode();
        long prompt = promptTokens();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        u.putObject("prompt_tokens_details").put("cached_tokens", cached);
        return u;
    }

    /** Log-probabilities in the endpoint's shape: chat's {@code content} list, or the legacy parallel arrays. */
    private ObjectNode logprobs(Choice c, List<TokenLogprobs> tokens) {
        ObjectNode o = F.objectNode();
        if (chat) {
            ArrayNode content = o.putArray("content");
            for (TokenLogprobs t : tokens) {
                ObjectNode entry = tokenEntry(t.token(), t.logprob());
                ArrayNode top = entry.putArray("top_logprobs");
                for (int k = 0; k < t.topTokens().length; k++) {
                    top.add(tokenEntry(t.topTokens()[k], t.topLogprobs()[k]));
                }
                content.add(entry);
            }
            return o;
        }
        ArrayNode text = o.putArray("tokens");
        ArrayNode values = o.putArray("token_logprobs");
        ArrayNode top = o.putArray("top_logprobs");
        ArrayNode offsets = o.putArray("text_offset");
        for (TokenLogprobs t : tokens) {
            String piece = tokenText(t.token());
            text.add(piece);
            // offsets into the completion's text, as vLLM reports them without echo
            offsets.add(c.textOffset);
            c.textOffset += piece.length();
            values.add(finite(t.logprob()));
            ObjectNode alternatives = top.addObject();
            for (int k = 0; k < t.topTokens().length; k++) {
                alternatives.put(tokenText(t.topTokens()[k]), finite(t.topLogprobs()[k]));
            }
        }
        return o;
    }

    private ObjectNode tokenEntry(int token, double logprob) {
        ObjectNode e = F.objectNode();
        e.put("token", tokenText(token));
        e.put("logprob", finite(logprob));
        ArrayNode bytes = e.putArray("bytes");
        for (byte b : model.tokenizer().pieceBytes(token, false)) {
            bytes.add(b & 0xFF);
        }
        return e;
    }

    private String tokenText(int token) {
        return new String(model.tokenizer().pieceBytes(token, false), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static double finite(double logprob) {
        return Double.isFinite(logprob) ? logprob : NO_CHANCE;
    }
}
