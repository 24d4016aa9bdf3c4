package dev.jllm.server.clients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;
import dev.jllm.server.clients.KjvServer.Continuation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK (4.8.0, over OkHttp) against {@code jllm serve} on the bundled model.
 * Oracles: the greedy continuation computed directly with a Generator (text, finish reason, token
 * count), the server's {@code /tokenize} of the prompt written out by hand (prompt tokens), and the
 * SDK's own validation of every answer (response validation on) and its exception mapping.
 */
class OpenAiJavaSdkTest {
    private static final String USER = "And God said unto Moses";
    private static final String PROMPT = "In the beginning God created";
    private static KjvServer kjv;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        kjv = new KjvServer();
        client = client(KjvServer.API_KEY);
    }

    @AfterAll
    static void stop() {
        client.close();
        kjv.close();
    }

    private static OpenAIClient client(String key) {
        return client(key, true);
    }

    /** With validation on, the SDK checks every answer against the API's types, required fields included. */
    private static OpenAIClient client(String key, boolean validate) {
        return OpenAIOkHttpClient.builder().baseUrl(kjv.baseUrl()).apiKey(key).maxRetries(0)
                .responseValidation(validate).timeout(Duration.ofSeconds(60)).build();
    }

    private static ChatCompletionCreateParams.Builder chat(int maxTokens) {
        return ChatCompletionCreateParams.builder().model(KjvServer.MODEL_ID).addUserMessage(USER)
                .maxCompletionTokens(maxTokens);
    }

    private static CompletionCreateParams.Builder text(String prompt, int maxTokens) {
        return CompletionCreateParams.builder().model(KjvServer.MODEL_ID).prompt(prompt).maxTokens(maxTokens);
    }

    @Test
    void modelsListsTheServedModel() {
        List<Model> models = client.models().list().data();
        assertEquals(List.of(KjvServer.MODEL_ID), models.stream().map(Model::id).toList());
        assertEquals("jllm", models.get(0).ownedBy());
        assertEquals(KjvServer.MODEL_ID, client.models().retrieve(KjvServer.MODEL_ID).id());
    }

    @Test
    void greedyChatCompletionIsTheDirectContinuation() throws Exception {
        ChatCompletion c = client.chat().completions().create(chat(12).temperature(0.0).build());
        int[] prompt = kjv.tokenize(KjvServer.chatml(USER), false);
        Continuation expected = kjv.greedy(prompt, 12);

        assertEquals(KjvServer.MODEL_ID, c.model());
        assertEquals(1, c.choices().size());
        ChatCompletion.Choice choice = c.choices().get(0);
        assertEquals(0, choice.index());
        assertEquals(kjv.text(expected.ids()), choice.message().content().orElseThrow());
        assertEquals(expected.ended() ? ChatCompletion.Choice.FinishReason.STOP
                : ChatCompletion.Choice.FinishReason.LENGTH, choice.finishReason());
        CompletionUsage usage = c.usage().orElseThrow();
        assertEquals(prompt.length, usage.promptTokens());
        assertEquals(expected.generated(), usage.completionTokens());
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
        assertTrue(choice.message().content().orElseThrow().length() > 0, "the bundled model answers something");
    }

    @Test
    void streamedChatEqualsTheWholeAnswerAndEndsWithUsage() {
        ChatCompletion whole = client.chat().completions().create(chat(20).temperature(0.0).build());
        ChatCompletionCreateParams streamed = chat(20).temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(streamed)) {
            chunks = s.stream().toList();
        }
        assertTrue(chunks.size() >= 3, "a role chunk, content chunks, a finish chunk and a usage chunk");
        assertEquals("assistant", chunks.get(0).choices().get(0).delta().role().orElseThrow().asString());
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk.Choice.FinishReason> reasons = new ArrayList<>();
        for (ChatCompletionChunk chunk : chunks.subList(0, chunks.size() - 1)) {
            assertEquals(1, chunk.choices().size());
            assertTrue(chunk.usage().isEmpty(), "only the last chunk carries usage");
            assertEquals(chunks.get(0).id(), chunk.id(), "every chunk has the completion's id");
            ChatCompletionChunk.Choice choice = chunk.choices().get(0);
            choice.delta().content().ifPresent(text::append);
            choice.finishReason().ifPresent(reasons::add);
        }
        assertEquals(whole.choices().get(0).message().content().orElseThrow(), text.toString());
        assertEquals(List.of(whole.choices().get(0).finishReason().asString()),
                reasons.stream().map(ChatCompletionChunk.Choice.FinishReason::asString).toList());
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty(), "the usage chunk has no choices");
        CompletionUsage usage = last.usage().orElseThrow();
        CompletionUsage expected = whole.usage().orElseThrow();
        assertEquals(expected.promptTokens(), usage.promptTokens());
        assertEquals(expected.completionTokens(), usage.completionTokens());
        assertEquals(expected.totalTokens(), usage.totalTokens());
    }

    @Test
    void accumulatedStreamOfSeveralChoicesEqualsTheWholeCompletion() {
        ChatCompletionCreateParams params = chat(12).temperature(0.8).seed(5).n(2).logprobs(true).topLogprobs(1)
                .build();
        ChatCompletion whole = client.chat().completions().create(params);
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(accumulator::accumulate);
        }
        ChatCompletion streamed = accumulator.chatCompletion().validate();
        assertEquals(contents(whole), contents(streamed));
        assertEquals(2, streamed.choices().size());
        for (int i = 0; i < 2; i++) {
            ChatCompletion.Choice a = whole.choices().get(i);
            ChatCompletion.Choice b = streamed.choices().get(i);
            assertEquals(a.finishReason(), b.finishReason());
            List<ChatCompletionTokenLogprob> la = a.logprobs().orElseThrow().content().orElseThrow();
            List<ChatCompletionTokenLogprob> lb = b.logprobs().orElseThrow().content().orElseThrow();
            assertEquals(la.stream().map(ChatCompletionTokenLogprob::token).toList(),
                    lb.stream().map(ChatCompletionTokenLogprob::token).toList(), "choice " + i);
        }
    }

    @Test
    void streamedRequestWithABadParameterIsABadRequest() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> {
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
                    chat(4).topP(0.0).build())) {
                s.stream().count();
            }
        });
        assertEquals("top_p", e.param().orElseThrow());
    }

    @Test
    void greedyTextCompletionWithLogprobs() throws Exception {
        Completion c = client.completions().create(text(PROMPT, 16).temperature(0.0).logprobs(3).build());
        int[] prompt = kjv.tokenize(PROMPT, true);
        Continuation expected = kjv.greedy(prompt, 16);

        CompletionChoice choice = c.choices().get(0);
        assertEquals(kjv.text(expected.ids()), choice.text());
        assertEquals(expected.ended() ? CompletionChoice.FinishReason.STOP : CompletionChoice.FinishReason.LENGTH,
                choice.finishReason());
        CompletionUsage usage = c.usage().orElseThrow();
        assertEquals(prompt.length, usage.promptTokens());
        assertEquals(expected.generated(), usage.completionTokens());

        CompletionChoice.Logprobs lp = choice.logprobs().orElseThrow();
        List<String> tokens = lp.tokens().orElseThrow();
        List<Double> values = lp.tokenLogprobs().orElseThrow();
        List<CompletionChoice.Logprobs.TopLogprob> top = lp.topLogprobs().orElseThrow();
        assertEquals(expected.generated(), tokens.size());
        assertEquals(tokens.size(), values.size());
        assertEquals(tokens.size(), top.size());
        List<Long> offsets = lp.textOffset().orElseThrow();
        long offset = 0;
        for (int i = 0; i < expected.ids().length; i++) {
            assertEquals(kjv.piece(expected.ids()[i]), tokens.get(i), "token " + i);
            assertEquals(offset, offsets.get(i), "text offset of token " + i);
            offset += tokens.get(i).length();
        }
        for (int i = 0; i < tokens.size(); i++) {
            Map<String, Double> alternatives = top.get(i)._additionalProperties().entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().convert(Double.class)));
            assertEquals(3, alternatives.size(), "three alternatives at token " + i);
            double best = alternatives.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertTrue(values.get(i) <= 0, "a log-probability is at most 0");
            // greedy picks the most likely token, so it heads its own alternatives
            assertEquals(best, values.get(i), 1e-6, "token " + i);
            assertEquals(values.get(i), alternatives.get(tokens.get(i)), 1e-6, "token " + i);
        }
    }

    @Test
    void streamedTextCompletionEqualsTheWholeOne() {
        Completion whole = client.completions().create(text(PROMPT, 24).temperature(0.0).build());
        CompletionCreateParams streamed = text(PROMPT, 24).temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        CompletionUsage usage = null;
        // the SDK's type makes a text choice's finish_reason required, yet OpenAI itself streams it as null
        // until the last chunk (as this server does), so these chunks are read without validation
        OpenAIClient lenient = client(KjvServer.API_KEY, false);
        try (StreamResponse<Completion> s = lenient.completions().createStreaming(streamed)) {
            for (Completion chunk : (Iterable<Completion>) s.stream()::iterator) {
                chunk.choices().forEach(ch -> text.append(ch.text()));
                if (chunk.usage().isPresent()) {
                    assertTrue(usage == null, "one usage chunk");
                    usage = chunk.usage().get();
                }
            }
        } finally {
            lenient.close();
        }
        assertEquals(whole.choices().get(0).text(), text.toString());
        assertEquals(whole.usage().orElseThrow().completionTokens(), usage.completionTokens());
        assertEquals(whole.usage().orElseThrow().promptTokens(), usage.promptTokens());
    }

    @Test
    void chatLogprobsHaveTheRequestedShape() {
        ChatCompletion c = client.chat().completions().create(chat(10).temperature(0.0).logprobs(true).topLogprobs(2)
                .build());
        List<ChatCompletionTokenLogprob> content = c.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
        assertEquals(c.usage().orElseThrow().completionTokens(), content.size());
        StringBuilder text = new StringBuilder();
        for (ChatCompletionTokenLogprob t : content) {
            assertEquals(2, t.topLogprobs().size());
            assertEquals(t.token(), t.topLogprobs().get(0).token(), "greedy takes the most likely token");
            assertEquals(t.logprob(), t.topLogprobs().get(0).logprob(), 1e-6);
            assertTrue(t.topLogprobs().get(0).logprob() >= t.topLogprobs().get(1).logprob(), "best first");
            assertTrue(t.logprob() <= 0);
            byte[] bytes = new byte[t.bytes().orElseThrow().size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = t.bytes().get().get(i).byteValue();
            }
            assertEquals(t.token(), new String(bytes, StandardCharsets.UTF_8));
            text.append(t.token());
        }
        // the end token, when one stopped the answer, is counted but not shown
        assertTrue(text.toString().startsWith(c.choices().get(0).message().content().orElseThrow()));
    }

    @Test
    void seededChoicesRepeatAndDiffer() {
        ChatCompletionCreateParams params = chat(10).temperature(1.0).n(3).seed(42).logprobs(true).build();
        ChatCompletion first = client.chat().completions().create(params);
        ChatCompletion again = client.chat().completions().create(params);
        ChatCompletion other = client.chat().completions().create(params.toBuilder().seed(7).build());

        List<String> answers = contents(first);
        assertEquals(3, answers.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, first.choices().get(i).index());
        }
        assertEquals(answers, contents(again), "the same seed gives the same choices");
        assertNotEquals(answers, contents(other), "another seed gives other choices");
        assertFalse(answers.get(0).equals(answers.get(1)) && answers.get(1).equals(answers.get(2)),
                "the choices are drawn with different seeds: " + answers);
        long generated = 0;
        for (ChatCompletion.Choice ch : first.choices()) {
            generated += ch.logprobs().orElseThrow().content().orElseThrow().size();
        }
        assertEquals(generated, first.usage().orElseThrow().completionTokens(), "usage counts every choice");
    }

    private static List<String> contents(ChatCompletion c) {
        return c.choices().stream().map(ch -> ch.message().content().orElseThrow()).toList();
    }

    @Test
    void stopStringEndsTheTextBeforeIt() {
        String full = client.completions().create(text(PROMPT, 32).temperature(0.0).build()).choices().get(0).text();
        int from = full.length() / 2;
        String stop = full.substring(from, from + 3);
        CompletionChoice c = client.completions().create(text(PROMPT, 32).temperature(0.0).stop(stop).build())
                .choices().get(0);
        assertEquals(full.substring(0, full.indexOf(stop)), c.text());
        assertEquals(CompletionChoice.FinishReason.STOP, c.finishReason());

        String answer = contents(client.chat().completions().create(chat(32).temperature(0.0).build())).get(0);
        String chatStop = answer.substring(answer.length() / 2, answer.length() / 2 + 2);
        ChatCompletion stopped = client.chat().completions().create(chat(32).temperature(0.0)
                .stopOfStrings(List.of("\u0000never", chatStop)).build());
        assertEquals(answer.substring(0, answer.indexOf(chatStop)), contents(stopped).get(0));
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, stopped.choices().get(0).finishReason());
    }

    @Test
    void closingAStreamEarlyFreesTheSlot() throws Exception {
        // the end token is banned, so only cancellation can stop the sequence before 400 tokens
        ChatCompletionCreateParams.LogitBias.Builder bias = ChatCompletionCreateParams.LogitBias.builder();
        for (int end : kjv.loaded.endIds()) {
            bias.putAdditionalProperty(Integer.toString(end), JsonValue.from(-100));
        }
        ChatCompletionCreateParams params = chat(400).temperature(1.0).seed(3).logitBias(bias.build()).build();
        long before = kjv.stats().generatedTokens();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            assertEquals(4, s.stream().limit(4).count());
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (kjv.stats().active() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, kjv.stats().active(), "the abandoned sequence was cancelled");
        assertTrue(kjv.stats().generatedTokens() - before < 400, "it stopped before its limit");
        assertEquals(1, client.chat().completions().create(chat(2).build()).choices().size());
    }

    @Test
    void wrongKeyIsUnauthorized() {
        OpenAIClient wrong = client("sk-wrong");
        try {
            UnauthorizedException e = assertThrows(UnauthorizedException.class,
                    () -> wrong.chat().completions().create(chat(4).build()));
            assertEquals(401, e.statusCode());
            assertThrows(UnauthorizedException.class, () -> wrong.models().list());
        } finally {
            wrong.close();
        }
    }

    @Test
    void unknownModelIsNotFound() {
        NotFoundException e = assertThrows(NotFoundException.class,
                () -> client.chat().completions().create(chat(4).model("gpt-4o").build()));
        assertEquals(404, e.statusCode());
        assertEquals("model", e.param().orElseThrow());
        assertTrue(e.getMessage().contains("gpt-4o"), e.getMessage());
        assertThrows(NotFoundException.class, () -> client.completions().create(text(PROMPT, 4).model("davinci")
                .build()));
        assertThrows(NotFoundException.class, () -> client.models().retrieve("davinci"));
    }

    @Test
    void badParameterIsABadRequestNamingIt() {
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(chat(4).temperature(3.5).build()));
        assertEquals(400, e.statusCode());
        assertEquals("temperature", e.param().orElseThrow());
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());

        BadRequestException n = assertThrows(BadRequestException.class,
                () -> client.completions().create(text(PROMPT, 4).n(0).build()));
        assertEquals("n", n.param().orElseThrow());
        BadRequestException top = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(chat(4).topLogprobs(3).build()));
        assertEquals("top_logprobs", top.param().orElseThrow());
        BadRequestException max = assertThrows(BadRequestException.class,
                () -> client.completions().create(text(PROMPT, 0).build()));
        assertEquals("max_tokens", max.param().orElseThrow());
    }

    @Test
    void tokenizeCountsTheSameIdsTheGreedyPathUses() throws Exception {
        // the oracle above relies on /tokenize; check it against the tokenizer itself once
        assertArrayEquals(kjv.tokenizer.encode(PROMPT, true), kjv.tokenize(PROMPT, true));
    }
}
