package dev.jllm.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.sampling.TokenLogprobs;
import dev.jllm.runtime.schedule.QueueFullException;
import dev.jllm.runtime.schedule.Scheduler;
import dev.jllm.runtime.schedule.SequenceListener;
import dev.jllm.runtime.schedule.SequenceRequest;
import dev.jllm.runtime.schedule.SequenceResult;
import dev.jllm.runtime.schedule.Ticket;
import dev.jllm.runtime.stop.StopReason;
import dev.jllm.runtime.stop.StopTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scheduler on stories260K, whose greedy continuation of [1, 403, 260, 378, 455] is in the fixture:
 * limits, end tokens, the context's end, cancellation and seeded sampling for one sequence; then many
 * sequences batched together, each checked against the same request run alone.
 */
class SchedulerTest {
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

    private static Scheduler scheduler(int parallel, int queue, int context) {
        return new Scheduler(decoder, null, new Scheduler.Options(DType.F16, context, parallel, queue, 512));
    }


    /** Records the tokens it sees, and cancels its ticket after {@code cancelAfter} of them. */
    private static final class Recorder implements SequenceListener {
        final List<Integer> tokens = new ArrayList<>();
        final List<TokenLogprobs> logprobs = new ArrayList<>();
        final int cancelAfter;
        // the ticket is known only once submit returns, which may be after the scheduler's first tokens
        final CompletableFuture<Ticket> ticket = new CompletableFuture<>();

        Recorder(int cancelAfter) {
            this.cancelAfter = cancelAfter;
        }

        @Override
        public void text(String piece) {
        }

        @Override
        public void token(int id, TokenLogprobs lp) {
            tokens.add(id);
            logprobs.add(lp);
            if (tokens.size() == cancelAfter) {
                ticket.join().cancel();
            }
        }
    }

    private static SequenceResult runAlone(int context, SequenceRequest request, Recorder recorder)
            throws InterruptedException {
        try (Scheduler s = scheduler(1, 1, context)) {
            Ticket t = s.submit(request, recorder);
            recorder.ticket.complete(t);
            return t.await();
        }
    }

    @Test
    void greedyStopsAtTheLimit() throws Exception {
        Recorder seen = new Recorder(-1);
        SequenceResult r = runAlone(512, new SequenceRequest(PROMPT, SamplingParams.greedy(), StopTokens.none(), List.of(), 12), seen);
        assertArrayEquals(GREEDY, r.tokens());
        assertEquals(Arrays.stream(GREEDY).boxed().toList(), seen.tokens);
        assertEquals(StopReason.LENGTH, r.finishReason());
        assertEquals(PROMPT.length, r.promptTokens());
        assertEquals(PROMPT.length, r.timings().prefillTokens());
    }

    @Test
    void anEndTokenStopsAndIsReported() throws Exception {
        SequenceResult r = runAlone(512, new SequenceRequest(PROMPT, SamplingParams.greedy(),
                StopTokens.of(448), List.of(), -1), new Recorder(-1));
        assertArrayEquals(new int[] {462, 453, 362, 448}, r.tokens());
        assertEquals(StopReason.STOP, r.finishReason());
    }

    @Test
    void theContextsEndStopsWithLength() throws Exception {
        SequenceResult r = runAlone(9, new SequenceRequest(PROMPT, SamplingParams.greedy(), StopTokens.none(), List.of(), -1),
                new Recorder(-1));
        // 5 prompt tokens fill positions 0..4; tokens 1..4 take 5..8; the 5th is sampled from position 8's logits
        assertArrayEquals(Arrays.copyOf(GREEDY, 5), r.tokens());
        assertEquals(StopReason.LENGTH, r.finishReason());
    }

    @Test
    void cancellationEndsWithoutAReason() throws Exception {
        SequenceResult r = runAlone(512, new SequenceRequest(PROMPT, SamplingParams.greedy(), StopTokens.none(), List.of(), -1),
                new Recorder(3));
        assertArrayEquals(Arrays.copyOf(GREEDY, 3), r.tokens());
        assertNull(r.finishReason());
    }

    @Test
    void theSameSeedGivesTheSameTokens() throws Exception {
        SamplingParams p = SamplingParams.builder().temperature(1.0f).topK(0).topP(1f).minP(0f).seed(5).build();
        int[] a = runAlone(512, new SequenceRequest(PROMPT, p, StopTokens.none(), List.of(), 30), new Recorder(-1)).tokens();
        int[] b = runAlone(512, new SequenceRequest(PROMPT, p, StopTokens.none(), List.of(), 30), new Recorder(-1)).tokens();
        assertArrayEquals(a, b);
        int[] c = runAlone(512, new SequenceRequest(PROMPT, p.toBuilder().seed(6).build(), StopTokens.none(), List.of(), 30),
                new Recorder(-1)).tokens();
        assertFalse(Arrays.equals(a, c), "another seed, another text");
    }

    @Test
    void logprobsComeWithEachTokenWhenAsked() throws Exception {
        Recorder seen = new Recorder(-1);
        runAlone(512, new SequenceRequest(PROMPT, SamplingParams.greedy(), StopTokens.none(), List.of(), 4, 3), seen);
        assertEquals(4, seen.logprobs.size());
        for (int i = 0; i < 4; i++) {
            TokenLogprobs lp = seen.logprobs.get(i);
            assertEquals(GREEDY[i], lp.token());
            assertEquals(GREEDY[i], lp.topTokens()[0], "greedy picks the most likely token");
            assertEquals(3, lp.topTokens().length);
            assertTrue(lp.logprob() <= 0);
        }
    }

    /** Sixteen requests (greedy and seeded, different prompts and limits) through 4 slots, and each alone. */
    @Test
    void batchedSequencesEqualTheSameRequestsRunAlone() throws Exception {
        int n = 16;
        SequenceRequest[] requests = new SequenceRequest[n];
        for (int i = 0; i < n; i++) {
            int[] prompt = Arrays.copyOf(PROMPT, 2 + i % 5);
            prompt[prompt.length - 1] = 250 + 3 * i;
            SamplingParams p = i % 3 == 0 ? SamplingParams.greedy()
                    : SamplingParams.builder().temperature(0.9f).topK(40).topP(0.95f).minP(0.05f).seed(100 + i).build();
            requests[i] = new SequenceRequest(prompt, p, StopTokens.none(), List.of(), 10 + 7 * (i % 4));
        }
        SequenceResult[] alone = new SequenceResult[n];
        for (int i = 0; i < n; i++) {
            alone[i] = runAlone(512, requests[i], new Recorder(-1));
        }
        try (Scheduler s = scheduler(4, n, 512)) {
            Ticket[] tickets = new Ticket[n];
            Recorder[] seen = new Recorder[n];
            for (int i = 0; i < n; i++) {
                seen[i] = new Recorder(-1);
                tickets[i] = s.submit(requests[i], seen[i]);
            }
            for (int i = 0; i < n; i++) {
                SequenceResult r = tickets[i].await();
                assertArrayEquals(alone[i].tokens(), r.tokens(), "request " + i);
                assertEquals(Arrays.stream(r.tokens()).boxed().toList(), seen[i].tokens, "request " + i + " streamed");
                assertEquals(alone[i].finishReason(), r.finishReason());
            }
            assertEquals(0, s.stats().active());
            assertEquals(n, s.stats().submitted());
            assertTrue(s.stats().steps() < Arrays.stream(alone).mapToInt(r -> r.tokens().length).sum(),
                    "sequences shared steps");
        }
    }

    @Test
    void aCancelledOrFailingSequenceLeavesTheOthersAlone() throws Exception {
        SequenceRequest request = new SequenceRequest(PROMPT, SamplingParams.greedy(), StopTokens.none(), List.of(), 12);
        try (Scheduler s = scheduler(3, 3, 512)) {
            Recorder cancelled = new Recorder(2);
            SequenceListener throwing = new SequenceListener() {
                @Override
                public void text(String piece) {
                }

                @Override
                public void token(int id, TokenLogprobs lp) {
                    throw new IllegalStateException("listener broke");
                }
            };
            Recorder fine = new Recorder(-1);
            Ticket a = s.submit(request, cancelled);
            cancelled.ticket.complete(a);
            Ticket b = s.submit(request, throwing);
            Ticket c = s.submit(request, fine);
            assertNull(a.await().finishReason());
            assertEquals(2, a.await().tokens().length);
            ExecutionException e = assertThrows(ExecutionException.class, () -> b.result().get());
            assertEquals("listener broke", e.getCause().getMessage());
            assertArrayEquals(GREEDY, c.await().tokens());
        }
    }

    @Test
    void aFullQueueRefusesAndTheSchedulerGoesOn() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SequenceListener holding = new SequenceListener() {
            @Override
            public void text(String piece) {
            }

            @Override
            public void token(int id, TokenLogprobs lp) {
                // holds the scheduler's thread on purpose, so the queue's state is known
                inside.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        SequenceRequest request = new SequenceRequest(PROMPT, SamplingParams.greedy(), StopTokens.none(), List.of(), 12);
        try (Scheduler s = scheduler(1, 1, 512)) {
            Ticket running = s.submit(new SequenceRequest(PROMPT, SamplingParams.greedy(), StopTokens.none(), List.of(), 2), holding);
            assertTrue(inside.await(10, TimeUnit.SECONDS));
            Ticket queued = s.submit(request, new Recorder(-1));
            assertThrows(QueueFullException.class, () -> s.submit(request, new Recorder(-1)));
            assertEquals(1, s.stats().rejected());
            // a cancelled request leaves the queue at once, making room for another
            queued.cancel();
            assertNull(queued.await().finishReason());
            assertEquals(0, queued.await().tokens().length);
            Ticket next = s.submit(request, new Recorder(-1));
            release.countDown();
            assertEquals(2, running.await().tokens().length);
            assertArrayEquals(GREEDY, next.await().tokens());
        }
    }

    @Test
    void aRequestGoesToTheSlotThatHoldsItsPrefix() throws Exception {
        try (Scheduler s = scheduler(2, 2, 512)) {
            SequenceResult first = s.submit(new SequenceRequest(PROMPT, SamplingParams.greedy(), StopTokens.none(), List.of(), 6),
                    new Recorder(-1)).await();
            int[] other = {1, 7, 7, 7};
            s.submit(new SequenceRequest(other, SamplingParams.greedy(), StopTokens.none(), List.of(), 2), new Recorder(-1)).await();
            int[] longer = new int[PROMPT.length + 5];
            System.arraycopy(PROMPT, 0, longer, 0, PROMPT.length);
            System.arraycopy(first.tokens(), 0, longer, PROMPT.length, 5);
            SequenceResult again = s.submit(new SequenceRequest(longer, SamplingParams.greedy(), StopTokens.none(), List.of(), 1),
                    new Recorder(-1)).await();
            assertEquals(PROMPT.length + 5 - 1, again.cachedTokens(), "all but the last prompt token came from the cache");
            assertEquals(1, again.timings().prefillTokens());
            assertEquals(GREEDY[6], again.tokens()[0]);
        }
    }

    @Test
    void badRequestsAreRefusedAtOnce() {
        try (Scheduler s = scheduler(1, 1, 8)) {
            assertThrows(ContextOverflowException.class, () -> s.submit(new SequenceRequest(new int[9],
                    SamplingParams.greedy(), StopTokens.none(), List.of(), 1), new Recorder(-1)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.submit(
                    new SequenceRequest(new int[] {1, 100_000}, SamplingParams.greedy(), StopTokens.none(), List.of(), 1), new Recorder(-1)));
            assertTrue(e.getMessage().contains("100000"), e.getMessage());
        }
    }
}
