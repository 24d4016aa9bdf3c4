package dev.jllm.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.jllm.core.tensor.DType;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.stop.StopConditions;
import dev.jllm.runtime.stop.StopReason;
import dev.jllm.runtime.stop.StopTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The completion loop on stories260K, whose greedy continuation of [1, 403, 260, 378, 455] is in the
 * fixture: limits, end tokens, the context's end, cancellation and seeded sampling.
 */
class CompletionTest {
    private static final int[] PROMPT = {1, 403, 260, 378, 455};
    private static final int[] GREEDY = {462, 453, 362, 448, 391, 465, 465, 466, 466, 407, 200, 466};
    private static Stories260K stories;
    private static Decoder decoder;

    @BeforeAll
    static void open() throws Exception {
        stories = new Stories260K();
        decoder = stories.decoder;
    }

    @AfterAll
    static void close() {
        stories.close();
    }

    private static Completion.Result run(int context, SamplingParams params, StopConditions stop, List<Integer> seen,
            int cancelAfter) {
        try (Generator g = new Generator(decoder, DType.F16, context, 512)) {
            AtomicInteger count = new AtomicInteger();
            return Completion.run(g, null, PROMPT, params, stop, new Completion.Listener() {
                @Override
                public void text(String piece) {
                }

                @Override
                public void token(int id) {
                    seen.add(id);
                    count.incrementAndGet();
                }
            }, () -> cancelAfter >= 0 && count.get() >= cancelAfter);
        }
    }

    @Test
    void greedyStopsAtTheLimit() {
        List<Integer> seen = new ArrayList<>();
        Completion.Result r = run(512, SamplingParams.greedy(), new StopConditions(StopTokens.none(), List.of(), 12),
                seen, -1);
        assertArrayEquals(GREEDY, r.tokens());
        assertEquals(Arrays.stream(GREEDY).boxed().toList(), seen);
        assertEquals(StopReason.LENGTH, r.finishReason());
        assertEquals(PROMPT.length, r.promptTokens());
    }

    @Test
    void anEndTokenStopsAndIsReported() {
        Completion.Result r = run(512, SamplingParams.greedy(), new StopConditions(StopTokens.of(448), List.of(), -1),
                new ArrayList<>(), -1);
        assertArrayEquals(new int[] {462, 453, 362, 448}, r.tokens());
        assertEquals(StopReason.STOP, r.finishReason());
    }

    @Test
    void theContextsEndStopsWithLength() {
        Completion.Result r = run(9, SamplingParams.greedy(), new StopConditions(StopTokens.none(), List.of(), -1),
                new ArrayList<>(), -1);
        // 5 prompt tokens fill positions 0..4; tokens 1..4 take 5..8; the 5th is sampled from position 8's logits
        assertArrayEquals(Arrays.copyOf(GREEDY, 5), r.tokens());
        assertEquals(StopReason.LENGTH, r.finishReason());
    }

    @Test
    void cancellationEndsWithoutAReason() {
        Completion.Result r = run(512, SamplingParams.greedy(), new StopConditions(StopTokens.none(), List.of(), -1),
                new ArrayList<>(), 3);
        assertArrayEquals(Arrays.copyOf(GREEDY, 3), r.tokens());
        assertNull(r.finishReason());
    }

    @Test
    void theSameSeedGivesTheSameTokens() {
        SamplingParams p = SamplingParams.builder().temperature(1.0f).topK(0).topP(1f).minP(0f).seed(5).build();
        StopConditions s1 = new StopConditions(StopTokens.none(), List.of(), 30);
        StopConditions s2 = new StopConditions(StopTokens.none(), List.of(), 30);
        int[] a = run(512, p, s1, new ArrayList<>(), -1).tokens();
        int[] b = run(512, p, s2, new ArrayList<>(), -1).tokens();
        assertArrayEquals(a, b);
        int[] c = run(512, p.toBuilder().seed(6).build(), new StopConditions(StopTokens.none(), List.of(), 30),
                new ArrayList<>(), -1).tokens();
        org.junit.jupiter.api.Assertions.assertFalse(Arrays.equals(a, c), "another seed, another text");
    }
}
