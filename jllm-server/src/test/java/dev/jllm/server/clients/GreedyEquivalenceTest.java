package dev.jllm.server.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import dev.jllm.runtime.schedule.SchedulerStats;
import dev.jllm.server.clients.KjvServer.Continuation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Greedy text completions through the server equal the model's greedy continuation computed directly
 * with one {@link dev.jllm.runtime.Generator} and argmax, which is what {@code jllm generate --temp 0}
 * does: one request at a time, four at once (continuous batching mixes their prefill and decode
 * steps), and several sequences in one request (an array of prompts, {@code n}); and a seeded sampled
 * request gives the same text alone and batched with others.
 */
class GreedyEquivalenceTest {
    private static final int MAX_TOKENS = 24;
    private static final List<String> PROMPTS = List.of(
            "In the beginning God created",
            "And the LORD spake unto Moses, saying,",
            "Blessed are the",
            // longer than one prefill chunk (256 tokens), so its prompt spans several batched steps
            ("Now these are the generations of the sons of Noah, Shem, Ham, and Japheth: and unto them were "
                    + "sons born after the flood. ").repeat(12) + "And the whole earth was");
    private static KjvServer kjv;
    private static OpenAIClient client;
    private static final List<int[]> prompts = new ArrayList<>();
    private static final List<Continuation> expected = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        kjv = new KjvServer();
        client = OpenAIOkHttpClient.builder().baseUrl(kjv.baseUrl()).apiKey(KjvServer.API_KEY).maxRetries(0)
                .timeout(Duration.ofSeconds(120)).build();
        for (String p : PROMPTS) {
            int[] ids = kjv.tokenizer.encode(p, true);
            prompts.add(ids);
            expected.add(kjv.greedy(ids, MAX_TOKENS));
        }
        assertTrue(prompts.get(3).length > 256 && prompts.get(3).length + MAX_TOKENS <= KjvServer.CONTEXT,
                "the long prompt spans two prefill chunks and fits the context: " + prompts.get(3).length);
    }

    @AfterAll
    static void stop() {
        client.close();
        kjv.close();
    }

    private static CompletionCreateParams greedy(String prompt) {
        return CompletionCreateParams.builder().model(KjvServer.MODEL_ID).prompt(prompt).maxTokens(MAX_TOKENS)
                .temperature(0.0).logprobs(0).build();
    }

    /** The choice's text and tokens equal the direct continuation, as does its token count. */
    private static void assertGreedy(int index, CompletionChoice choice, long completionTokens) {
        Continuation c = expected.get(index);
        assertEquals(kjv.text(c.ids()), choice.text(), "text of prompt " + index);
        List<String> tokens = choice.logprobs().orElseThrow().tokens().orElseThrow();
        List<String> pieces = Arrays.stream(c.ids()).mapToObj(kjv::piece).toList();
        assertEquals(pieces, tokens.subList(0, c.ids().length), "tokens of prompt " + index);
        assertEquals(c.generated(), tokens.size(), "token count of prompt " + index);
        assertEquals(c.generated(), completionTokens, "usage of prompt " + index);
        assertEquals(c.ended() ? CompletionChoice.FinishReason.STOP : CompletionChoice.FinishReason.LENGTH,
                choice.finishReason(), "finish reason of prompt " + index);
    }

    @Test
    void oneAtATime() {
        for (int i = 0; i < PROMPTS.size(); i++) {
            Completion c = client.completions().create(greedy(PROMPTS.get(i)));
            assertEquals(prompts.get(i).length, c.usage().orElseThrow().promptTokens());
            assertGreedy(i, c.choices().get(0), c.usage().orElseThrow().completionTokens());
        }
    }

    @Test
    void fourAtOnceAreBatchedAndUnchanged() throws Exception {
        int rounds = 1;
        SchedulerStats before = kjv.stats();
        ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.size());
        try {
            CyclicBarrier together = new CyclicBarrier(PROMPTS.size());
            List<Future<Completion[]>> answers = new ArrayList<>();
            for (int i = 0; i < PROMPTS.size(); i++) {
                int index = i;
                answers.add(pool.submit(() -> {
                    Completion[] out = new Completion[rounds];
                    for (int r = 0; r < rounds; r++) {
                        together.await(60, TimeUnit.SECONDS);
                        out[r] = client.completions().create(greedy(PROMPTS.get(index)));
                    }
                    return out;
                }));
            }
            for (int i = 0; i < PROMPTS.size(); i++) {
                for (Completion c : answers.get(i).get(120, TimeUnit.SECONDS)) {
                    assertGreedy(i, c.choices().get(0), c.usage().orElseThrow().completionTokens());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        SchedulerStats after = kjv.stats();
        long generated = after.generatedTokens() - before.generatedTokens();
        long steps = after.steps() - before.steps();
        assertTrue(steps < generated, "sequences shared steps: " + generated + " tokens in " + steps + " steps");
    }

    @Test
    void seededSamplingIsUnchangedByBatching() throws Exception {
        CompletionCreateParams sampled = CompletionCreateParams.builder().model(KjvServer.MODEL_ID)
                .prompt(PROMPTS.get(0)).maxTokens(MAX_TOKENS).temperature(0.9).topP(0.95).seed(11).build();
        String alone = client.completions().create(sampled).choices().get(0).text();
        ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.size());
        try {
            CyclicBarrier together = new CyclicBarrier(PROMPTS.size());
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < PROMPTS.size(); i++) {
                // the others are sampled too, with their own seeds, so they share the steps
                CompletionCreateParams request = i == 0 ? sampled : sampled.toBuilder().prompt(PROMPTS.get(i))
                        .seed(100 + i).build();
                answers.add(pool.submit(() -> {
                    together.await(60, TimeUnit.SECONDS);
                    return client.completions().create(request).choices().get(0).text();
                }));
            }
            assertEquals(alone, answers.get(0).get(120, TimeUnit.SECONDS));
            for (Future<String> f : answers) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void severalSequencesInOneRequest() {
        Completion all = client.completions().create(CompletionCreateParams.builder().model(KjvServer.MODEL_ID)
                .prompt(CompletionCreateParams.Prompt.ofArrayOfStrings(PROMPTS)).maxTokens(MAX_TOKENS)
                .temperature(0.0).logprobs(0).build());
        assertEquals(PROMPTS.size(), all.choices().size());
        long total = 0;
        for (CompletionChoice choice : all.choices()) {
            int i = (int) choice.index();
            assertGreedy(i, choice, expected.get(i).generated());
            total += expected.get(i).generated();
        }
        assertEquals(total, all.usage().orElseThrow().completionTokens());
        assertEquals(prompts.stream().mapToLong(p -> p.length).sum(), all.usage().orElseThrow().promptTokens());

        // n copies of one greedy prompt, given as token ids, all decode the same way together
        List<Long> ids = IntStream.of(prompts.get(1)).mapToObj(v -> (long) v).toList();
        Completion copies = client.completions().create(CompletionCreateParams.builder().model(KjvServer.MODEL_ID)
                .prompt(CompletionCreateParams.Prompt.ofArrayOfTokens(ids)).maxTokens(MAX_TOKENS).temperature(0.0)
                .logprobs(0).n(4).build());
        assertEquals(4, copies.choices().size());
        for (CompletionChoice choice : copies.choices()) {
            assertGreedy(1, choice, expected.get(1).generated());
        }
        assertEquals(4L * expected.get(1).generated(), copies.usage().orElseThrow().completionTokens());
    }
}
