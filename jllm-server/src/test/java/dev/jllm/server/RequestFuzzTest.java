package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.template.TemplateException;
import dev.jllm.runtime.chat.ChatPrompt;
import dev.jllm.runtime.chat.ChatSession;
import dev.jllm.server.TestClient.Reply;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutations of valid chat and text completion bodies. The request parsing must refuse every
 * bad one with its own {@link ApiException} (a 4xx in OpenAI's shape), never anything else; over
 * HTTP every answer is a 200 or such a 4xx, never a 500, never a hang.
 */
class RequestFuzzTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String[] FIELDS = {"model", "messages", "prompt", "temperature", "top_p", "top_k", "min_p",
        "presence_penalty", "frequency_penalty", "repetition_penalty", "seed", "n", "max_tokens",
        "max_completion_tokens", "stop", "logprobs", "top_logprobs", "logit_bias", "stream", "stream_options",
        "include_usage", "echo", "tools", "role", "content", "name", "type", "text", "user", "suffix"};
    private static final String SPEECH = "And it came to pass in those days";

    static ObjectNode chatBody() {
        ObjectNode b = F.objectNode();
        b.put("model", TestServer.MODEL_ID);
        ArrayNode messages = b.putArray("messages");
        messages.addObject().put("role", "system").put("content", "Be brief.");
        ObjectNode user = messages.addObject().put("role", "user").put("name", "luke");
        user.putArray("content").addObject().put("type", "text").put("text", SPEECH);
        b.put("temperature", 0.7).put("top_p", 0.9).put("top_k", 40).put("min_p", 0.05);
        b.put("presence_penalty", 0.1).put("frequency_penalty", 0.2).put("repetition_penalty", 1.1).put("seed", 3);
        b.put("n", 1).put("max_tokens", 3);
        b.putArray("stop").add("\n\n").add("Amen");
        b.put("logprobs", true).put("top_logprobs", 2);
        b.putObject("logit_bias").put("17", -5).put("42", 2.5);
        b.put("stream", false);
        return b;
    }

    static ObjectNode completionBody() {
        ObjectNode b = F.objectNode();
        b.put("model", TestServer.MODEL_ID);
        b.put("prompt", SPEECH);
        b.put("temperature", 0).put("max_tokens", 3).put("n", 1).put("logprobs", 1).put("echo", false);
        b.put("stop", "\n").put("stream", true);
        b.putObject("stream_options").put("include_usage", true);
        return b;
    }

    /** A value of some JSON type, often one at the edge of what a field allows. */
    static JsonNode randomValue(Random r, int depth) {
        return switch (r.nextInt(depth > 3 ? 22 : 26)) {
            case 0 -> F.nullNode();
            case 1 -> F.booleanNode(r.nextBoolean());
            case 2 -> F.numberNode(r.nextInt(40) - 10);
            case 3 -> F.numberNode(new int[] {-1, 0, 1, 2, 16, 17, 20, 21, 100, 101, 4095, 4096}[r.nextInt(12)]);
            case 4 -> F.numberNode(r.nextGaussian() * 3);
            case 5 -> F.numberNode(new double[] {-0.0, 1e-320, 1e308, -1e308, 0.5, 2.0000001}[r.nextInt(6)]);
            case 6 -> F.numberNode(r.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE);
            case 7 -> F.numberNode(BigInteger.TWO.pow(70).negate().add(BigInteger.valueOf(r.nextInt(3))));
            case 8 -> F.numberNode(new BigDecimal("1e400"));
            case 9 -> F.numberNode(Integer.MAX_VALUE);
            case 10 -> F.textNode("");
            case 11 -> F.textNode(new String[] {"user", "assistant", "tool", "kjv", "text", "x", "1", "true",
                "<|endoftext|>", "<|im_start|>", "\u0000", "\ud800", "é✝"}[r.nextInt(13)]);
            case 12 -> F.textNode("a".repeat(r.nextInt(3000)));
            case 13 -> F.arrayNode();
            case 14 -> F.objectNode();
            case 15 -> F.arrayNode().add(r.nextInt(5000) - 100).add(r.nextInt(4096));
            case 16 -> F.arrayNode().add("a").add("b");
            case 17 -> F.objectNode().put("type", "text").put("text", "In the beginning");
            case 18 -> F.objectNode().put("role", "user").put("content", "hi");
            case 19 -> F.objectNode().put("include_usage", r.nextBoolean());
            case 20 -> F.objectNode().put(Integer.toString(r.nextInt(5000) - 100), r.nextInt(300) - 150);
            case 21 -> F.numberNode(r.nextFloat());
            case 22 -> F.arrayNode().add(randomValue(r, depth + 1)).add(randomValue(r, depth + 1));
            case 23 -> F.objectNode().set(FIELDS[r.nextInt(FIELDS.length)], randomValue(r, depth + 1));
            case 24 -> F.arrayNode().add(F.objectNode().put("role", "user").set("content", randomValue(r, depth + 1)));
            default -> {
                ArrayNode deep = F.arrayNode();
                ArrayNode at = deep;
                for (int i = 0; i < 40; i++) {
                    at = at.addArray();
                }
                yield deep;
            }
        };
    }

    /** All containers in the tree, so a mutation can reach nested fields too. */
    private static void containers(JsonNode node, List<JsonNode> out) {
        if (node.isContainerNode()) {
            out.add(node);
            for (JsonNode child : node) {
                containers(child, out);
            }
        }
    }

    /** One to three changes: a value replaced, a field removed or added, anywhere in the tree. */
    static ObjectNode mutate(ObjectNode base, Random r) {
        ObjectNode body = base.deepCopy();
        int changes = 1 + r.nextInt(3);
        for (int c = 0; c < changes; c++) {
            List<JsonNode> nodes = new ArrayList<>();
            containers(body, nodes);
            JsonNode target = nodes.get(r.nextInt(nodes.size()));
            if (target instanceof ObjectNode o) {
                List<String> names = new ArrayList<>();
                o.fieldNames().forEachRemaining(names::add);
                int op = r.nextInt(4);
                if (op == 0 && !names.isEmpty()) {
                    o.remove(names.get(r.nextInt(names.size())));
                } else if (op == 1 || names.isEmpty()) {
                    o.set(FIELDS[r.nextInt(FIELDS.length)], randomValue(r, 0));
                } else {
                    o.set(names.get(r.nextInt(names.size())), randomValue(r, 0));
                }
            } else if (target instanceof ArrayNode a) {
                if (a.isEmpty() || r.nextInt(3) == 0) {
                    a.add(randomValue(r, 0));
                } else if (r.nextBoolean()) {
                    a.remove(r.nextInt(a.size()));
                } else {
                    a.set(r.nextInt(a.size()), randomValue(r, 0));
                }
            }
        }
        return body;
    }

    /** Byte-level damage to a body's text: a flip, a cut, an insertion or a deletion. */
    static byte[] damage(byte[] text, Random r) {
        byte[] out = text.clone();
        switch (r.nextInt(4)) {
            case 0 -> out[r.nextInt(out.length)] = (byte) r.nextInt(256);
            case 1 -> out = java.util.Arrays.copyOf(out, r.nextInt(out.length));
            case 2 -> {
                int at = r.nextInt(out.length + 1);
                byte[] piece = new String[] {"{", "}", "[", "]", "\"", ",", ":", "\\", "1e999", "-", "null", "\u00ff"}[
                        r.nextInt(12)].getBytes(StandardCharsets.UTF_8);
                byte[] grown = new byte[out.length + piece.length];
                System.arraycopy(out, 0, grown, 0, at);
                System.arraycopy(piece, 0, grown, at, piece.length);
                System.arraycopy(out, at, grown, at + piece.length, out.length - at);
                out = grown;
            }
            default -> {
                int at = r.nextInt(out.length);
                int n = Math.min(out.length - at, 1 + r.nextInt(8));
                byte[] shrunk = new byte[out.length - n];
                System.arraycopy(out, 0, shrunk, 0, at);
                System.arraycopy(out, at + n, shrunk, at, out.length - at - n);
                out = shrunk;
            }
        }
        return out;
    }

    /**
     * The server's parsing of a generation request, in its order, up to the tokens of the prompt:
     * returns normally or throws {@link ApiException}; anything else would be a 500.
     */
    private static void parse(byte[] bytes, boolean chat, ChatTemplate template) {
        JsonNode body;
        try {
            body = ApiExchange.JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            return; // answered 400 by ApiExchange
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        if (body == null || !body.isObject()) {
            return;
        }
        RequestFields.text(body, "model");
        int vocab = TestServer.tokenizer().vocabSize();
        if (chat) {
            List<Map<String, Object>> messages = ChatMessages.read(body);
            GenerationParams.read(body, true, vocab);
            try {
                String prompt = ChatPrompt.render(template, TestServer.tokenizer(), messages);
                TestServer.tokenizer().encode(prompt, false, true);
            } catch (TemplateException e) {
                // answered 400 by the server
            }
        } else {
            GenerationParams.read(body, false, vocab);
            RequestFields.bool(body, "echo", false);
        }
    }

    @Test
    void parsingRefusesOnlyWithApiExceptions() {
        ChatTemplate template = ChatTemplate.parse(ChatSession.CHATML);
        Random r = new Random(20261128);
        int refused = 0;
        int cases = 3000;
        for (int i = 0; i < cases; i++) {
            boolean chat = i % 2 == 0;
            ObjectNode base = chat ? chatBody() : completionBody();
            byte[] bytes = i % 5 == 4 ? damage(base.toString().getBytes(StandardCharsets.UTF_8), r)
                    : mutate(base, r).toString().getBytes(StandardCharsets.UTF_8);
            try {
                parse(bytes, chat, template);
            } catch (ApiException e) {
                refused++;
                assertTrue(e.status() >= 400 && e.status() < 500, e.status() + " for " + text(bytes));
                TestClient.assertErrorShape(e.body());
            } catch (RuntimeException | StackOverflowError e) {
                throw new AssertionError("case " + i + " threw " + e + " for " + text(bytes), e);
            }
        }
        // the mutations must reach both outcomes, or the test checks little
        assertTrue(refused > cases / 5 && refused < cases * 9 / 10, "refused " + refused + " of " + cases);
    }

    private static String text(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        return s.length() > 600 ? s.substring(0, 600) + "…" : s;
    }

    @Test
    void overHttpEveryAnswerIs200OrAnApiError() throws Exception {
        // a context just above the prompts: any generation a mutant asks for is short
        try (TestServer server = TestServer.start(48, 4, 256, null, 64 * 1024)) {
            TestClient client = new TestClient(server);
            Random r = new Random(6);
            List<String[]> requests = new ArrayList<>();
            int cases = 300;
            for (int i = 0; i < cases; i++) {
                String path = switch (i % 4) {
                    case 0 -> "/v1/chat/completions";
                    case 1 -> "/v1/completions";
                    case 2 -> "/tokenize";
                    default -> "/detokenize";
                };
                ObjectNode base = switch (i % 4) {
                    case 0 -> chatBody();
                    case 1 -> completionBody();
                    case 2 -> F.objectNode().put("content", SPEECH).put("add_special", true).put("with_pieces", true);
                    default -> F.objectNode().set("tokens", F.arrayNode().add(1).add(200).add(4095));
                };
                byte[] bytes = i % 3 == 2 ? damage(base.toString().getBytes(StandardCharsets.UTF_8), r)
                        : mutate(base, r).toString().getBytes(StandardCharsets.UTF_8);
                requests.add(new String[] {path, new String(bytes, StandardCharsets.UTF_8)});
            }
            int ok = 0;
            try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
                List<Future<Reply>> replies = new ArrayList<>();
                for (String[] q : requests) {
                    replies.add(pool.submit(() -> client.post(q[0], q[1])));
                }
                for (int i = 0; i < replies.size(); i++) {
                    Reply reply = replies.get(i).get(60, TimeUnit.SECONDS);
                    String what = "case " + i + " answered " + reply.status() + " " + reply.body() + " to "
                            + requests.get(i)[1];
                    if (reply.status() == 200) {
                        ok++;
                        if (reply.header("Content-Type").startsWith("text/event-stream")) {
                            List<String> events = TestClient.events(reply.body());
                            assertTrue(events.getLast().equals("[DONE]"), what);
                        } else if (requests.get(i)[0].startsWith("/v1/")) {
                            assertTrue(reply.json().get("choices").size() >= 1, what);
                        } else {
                            assertTrue(reply.json().has("tokens") || reply.json().has("content"), what);
                        }
                    } else if (reply.status() >= 400 && reply.status() < 500) {
                        TestClient.assertErrorShape(reply.json());
                    } else {
                        fail(what);
                    }
                }
            }
            assertTrue(ok > cases / 20 && ok < cases * 9 / 10, ok + " of " + cases + " answered 200");
            QueueAndDisconnectTest.await(server, s -> s.active() == 0 && s.queued() == 0);
        }
    }

    @Test
    void mutationsAreSeededAndRepeat() {
        Random a = new Random(1);
        Random b = new Random(1);
        for (int i = 0; i < 50; i++) {
            if (!mutate(chatBody(), a).equals(mutate(chatBody(), b))) {
                fail("mutation " + i + " is not reproducible");
            }
        }
    }
}
