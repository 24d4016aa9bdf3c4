package dev.jllm.runtime.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Penalties against hand-computed logits, and log-probabilities against a double log-softmax. */
class PenaltyAndLogprobsTest {
    private static final float[] LOGITS = {2, -1, 0, 3, 0.5f};
    private static final int[] HISTORY = {0, 0, 1, 3, 4, 4, 4};

    /** The processed logits seen through the public API: logprob differences against untouched token 2. */
    private static double[] processedRelativeToToken2(SamplingParams p, float[] logits, int[] history) {
        Sampler s = new Sampler(p, logits.length);
        s.acceptAll(history);
        s.sample(logits);
        TokenLogprobs all = s.logprobs(2, logits.length);
        double[] out = new double[logits.length];
        int[] ids = all.topTokens();
        double[] lp = all.topLogprobs();
        double base = all.logprob();
        for (int i = 0; i < ids.length; i++) {
            out[ids[i]] = lp[i] - base;
        }
        return out;
    }

    private static void assertClose(double[] expected, double[] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5, "token " + i);
        }
    }

    @Test
    void penaltiesOverTheWholeHistoryMatchHandComputedValues() {
        SamplingParams p = SamplingParams.builder().temperature(0).repetitionPenalty(2).frequencyPenalty(0.5f)
                .presencePenalty(0.25f).penaltyLastN(-1).build();
        // t0: 2/2 - (2*0.5 + 0.25); t1: -1*2 - 0.75; t2 untouched; t3: 3/2 - 0.75; t4: 0.5/2 - (3*0.5 + 0.25)
        assertClose(new double[] {-0.25, -2.75, 0, 0.75, -1.5}, processedRelativeToToken2(p, LOGITS, HISTORY));
    }

    @Test
    void thePenaltyWindowOnlySeesTheLastNTokens() {
        SamplingParams p = SamplingParams.builder().temperature(0).repetitionPenalty(2).frequencyPenalty(0.5f)
                .presencePenalty(0.25f).penaltyLastN(3).build();
        assertClose(new double[] {2, -1, 0, 3, -1.5}, processedRelativeToToken2(p, LOGITS, HISTORY));
        SamplingParams off = p.toBuilder().penaltyLastN(0).build();
        assertClose(new double[] {2, -1, 0, 3, 0.5}, processedRelativeToToken2(off, LOGITS, HISTORY));
        // a window of 2 after 0,0,1,3,4,4,4 holds 4,4: evictions must keep the counts right
        SamplingParams two = p.toBuilder().penaltyLastN(2).build();
        assertClose(new double[] {2, -1, 0, 3, 0.5 / 2 - (2 * 0.5 + 0.25)},
                processedRelativeToToken2(two, LOGITS, HISTORY));
    }

    @Test
    void biasComesBeforeTheRepetitionPenalty() {
        SamplingParams p = SamplingParams.builder().temperature(0).repetitionPenalty(2).bias(3, 1f).bias(4, -1f)
                .build();
        // (3 + 1) / 2 = 2, not 3 / 2 + 1; (0.5 - 1) * 2 = -1, not 0.5 / 2 - 1
        assertClose(new double[] {2, -1, 0, 2, -1}, processedRelativeToToken2(p, LOGITS, new int[] {3, 4}));
    }

    @Test
    void penaltiesAgreeWithTheReferenceOnRandomHistories() {
        Random r = new Random(21);
        for (int trial = 0; trial < 50; trial++) {
            int v = 3 + r.nextInt(60);
            float[] x = new float[v];
            for (int i = 0; i < v; i++) {
                x[i] = (float) r.nextGaussian() * 2;
            }
            int[] history = new int[r.nextInt(40)];
            for (int i = 0; i < history.length; i++) {
                history[i] = r.nextInt(Math.min(v, 8)); // repeats
            }
            SamplingParams p = SamplingParams.builder().temperature(0)
                    .repetitionPenalty(0.5f + r.nextFloat() * 1.5f).presencePenalty(r.nextFloat() * 2 - 1)
                    .frequencyPenalty(r.nextFloat() * 2 - 1).penaltyLastN(r.nextInt(12) - 1).build();
            float[] expected = ReferenceSampling.processed(x, p,
                    java.util.Arrays.stream(history).boxed().toList());
            Sampler s = new Sampler(p, v);
            s.acceptAll(history);
            s.sample(x);
            double[] lp = ReferenceSampling.logSoftmax(expected);
            TokenLogprobs got = s.logprobs(0, v);
            for (int i = 0; i < v; i++) {
                assertEquals(lp[got.topTokens()[i]], got.topLogprobs()[i], 1e-5, "trial " + trial);
            }
        }
    }

    @Test
    void logprobsAreTheLogSoftmaxWithTheTopNInRankOrder() {
        Random r = new Random(22);
        for (int trial = 0; trial < 20; trial++) {
            int v = 1 + r.nextInt(5000);
            float[] x = SamplerFilterTest.logits(r, v, trial % 5);
            double[] expected = ReferenceSampling.logSoftmax(x);
            List<ReferenceSampling.Token> ranked = ReferenceSampling.ranked(x);
            int topN = Math.min(v, r.nextInt(21));
            int token = r.nextInt(v);
            TokenLogprobs got = TokenLogprobs.of(x, token, topN);
            assertEquals(expected[token], got.logprob(), 1e-5);
            int[] ids = got.topTokens();
            assertEquals(Math.min(topN, ranked.size()), ids.length);
            for (int i = 0; i < ids.length; i++) {
                assertEquals(ranked.get(i).id(), ids[i], "rank " + i);
                assertEquals(expected[ids[i]], got.topLogprobs()[i], 1e-5);
            }
        }
    }

    @Test
    void samplerLogprobsSeeBiasButNotTemperatureOrFilters() {
        float[] x = {1, 2, 3, 0};
        SamplingParams p = SamplingParams.builder().temperature(0.3f).topK(1).bias(0, 2f).seed(1).build();
        Sampler s = new Sampler(p, 4);
        int chosen = s.sample(x);
        assertEquals(0, chosen); // 1 + 2 = 3 ties with token 2: the lower id is the top-1
        double[] expected = ReferenceSampling.logSoftmax(new float[] {3, 2, 3, 0});
        TokenLogprobs lp = s.logprobs(chosen, 4);
        assertEquals(expected[0], lp.logprob(), 1e-6);
        assertArrayEquals(new int[] {0, 2, 1, 3}, lp.topTokens());
        assertEquals(expected[3], lp.topLogprobs()[3], 1e-6);
    }

    @Test
    void logprobsRejectMisuse() {
        Sampler s = new Sampler(SamplingParams.greedy(), 3);
        assertThrows(IllegalStateException.class, () -> s.logprobs(0, 1));
        s.sample(new float[] {0, 1, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.logprobs(0, 4));
        assertTrue(e.getMessage().contains("topN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.logprobs(3, 1));
    }
}
