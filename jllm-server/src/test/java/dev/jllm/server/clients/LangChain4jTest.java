package dev.jllm.server.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.jllm.server.clients.KjvServer.Continuation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's OpenAI models (1.19.0, over the JDK's HTTP client) against {@code jllm serve} on the
 * bundled model, at temperature 0. Oracles: the greedy continuation computed directly with a Generator,
 * and the server's {@code /tokenize} of the ChatML prompt written out by hand.
 */
class LangChain4jTest {
    private static final int MAX_TOKENS = 24;
    private static final String QUESTION = "Who made the heaven and the earth?";
    private static KjvServer kjv;
    private static OpenAiChatModel chat;
    private static OpenAiStreamingChatModel streaming;

    @BeforeAll
    static void start() throws Exception {
        kjv = new KjvServer();
        chat = OpenAiChatModel.builder().baseUrl(kjv.baseUrl()).apiKey(KjvServer.API_KEY)
                .modelName(KjvServer.MODEL_ID).temperature(0.0).maxTokens(MAX_TOKENS).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
        streaming = OpenAiStreamingChatModel.builder().baseUrl(kjv.baseUrl()).apiKey(KjvServer.API_KEY)
                .modelName(KjvServer.MODEL_ID).temperature(0.0).maxTokens(MAX_TOKENS)
                .timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() {
        kjv.close();
    }

    @Test
    void chatModelAnswersWithTheGreedyContinuation() throws Exception {
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from(QUESTION)).build());
        int[] prompt = kjv.tokenize(KjvServer.chatml(QUESTION), false);
        Continuation expected = kjv.greedy(prompt, MAX_TOKENS);

        String answer = r.aiMessage().text();
        assertFalse(answer == null || answer.isBlank(), "an answer");
        assertEquals(kjv.text(expected.ids()), answer);
        assertEquals(expected.ended() ? FinishReason.STOP : FinishReason.LENGTH, r.finishReason());
        TokenUsage usage = r.tokenUsage();
        assertEquals(prompt.length, usage.inputTokenCount());
        assertEquals(expected.generated(), usage.outputTokenCount());
        assertEquals(prompt.length + expected.generated(), usage.totalTokenCount());
        assertEquals(KjvServer.MODEL_ID, r.modelName());
        assertTrue(r.id().startsWith("chatcmpl-"), r.id());
    }

    @Test
    void systemAndUserMessagesReachTheTemplate() throws Exception {
        String system = "Answer in the words of the scripture.";
        ChatResponse r = chat.chat(SystemMessage.from(system), UserMessage.from(QUESTION));
        String rendered = "<|im_start|>system\n" + system + "<|im_end|>\n" + KjvServer.chatml(QUESTION);
        int[] prompt = kjv.tokenize(rendered, false);
        assertEquals(prompt.length, r.tokenUsage().inputTokenCount());
        assertEquals(kjv.text(kjv.greedy(prompt, MAX_TOKENS).ids()), r.aiMessage().text());
    }

    @Test
    void streamedPiecesMakeTheCompleteResponse() throws Exception {
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(QUESTION, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String piece) {
                pieces.add(piece);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        String whole = chat.chat(QUESTION);

        assertTrue(pieces.size() > 1, "the answer arrives in pieces: " + pieces);
        assertEquals(r.aiMessage().text(), String.join("", pieces));
        assertEquals(whole, r.aiMessage().text());
        TokenUsage usage = r.tokenUsage();
        assertEquals(kjv.tokenize(KjvServer.chatml(QUESTION), false).length, usage.inputTokenCount());
        assertTrue(usage.outputTokenCount() > 0 && usage.outputTokenCount() <= MAX_TOKENS, usage.toString());
        assertEquals(usage.inputTokenCount() + usage.outputTokenCount(), usage.totalTokenCount());
        assertEquals(FinishReason.LENGTH.equals(r.finishReason()), usage.outputTokenCount() == MAX_TOKENS);
    }

    @Test
    void wrongKeyAndUnknownModelAreReportedAsSuch() {
        OpenAiChatModel wrongKey = OpenAiChatModel.builder().baseUrl(kjv.baseUrl()).apiKey("sk-wrong")
                .modelName(KjvServer.MODEL_ID).maxRetries(0).build();
        assertThrows(AuthenticationException.class, () -> wrongKey.chat(QUESTION));
        OpenAiChatModel unknown = OpenAiChatModel.builder().baseUrl(kjv.baseUrl()).apiKey(KjvServer.API_KEY)
                .modelName("gpt-4o").maxRetries(0).build();
        assertThrows(ModelNotFoundException.class, () -> unknown.chat(QUESTION));
    }
}
