package dev.jllm.runtime.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Empirical frequencies of {@link Sampler#sample} against the reference distribution; seeds. */
class SamplerDrawTest {
    private static final int DRAWS = 40_000;

    /**
     * Pearson's chi-square of the observed counts against the reference probabilities (bins with an
     * expected count below 5 pooled), compared with the chi-square quantile at 1 - 1e-5 (Wilson–Hilferty).
     * Also fails if a token outside the reference's candidate set is ever drawn.
     */
    private static void assertFollows(Candidates reference, Map<Integer, Integer> counts, int draws, String what) {
        int[] ids = reference.ids();
        double[] p = reference.probabilities();
        Map<Integer, Integer> index = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            index.put(ids[i], i);
        }
        for (int t : counts.keySet()) {
            assertTrue(index.containsKey(t), what + ": drew token " + t + " outside the candidate set");
        }
        double chi = 0;
        int bins = 0;
        double pooledExpected = 0;
        double pooledObserved = 0;
        for (int i = 0; i < ids.length; i++) {
            double expected = p[i] * draws;
            int observed = counts.getOrDefault(ids[i], 0);
            if (expected < 5) {
                pooledExpected += expected;
                pooledObserved += observed;
                continue;
            }
            chi += (observed - expected) * (observed - expected) / expected;
            bins++;
        }
        if (pooledExpected > 0) {
            chi += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / Math.max(pooledExpected, 1);
            bins++;
        }
        int df = Math.max(1, bins - 1);
        double z = 4.265; // one-sided 1e-5
        double h = 2.0 / (9 * df);
        double critical = df * Math.pow(1 - h + z * Math.sqrt(h), 3);
        assertTrue(chi < critical, what + ": chi-square " + chi + " >= " + critical + " with " + df + " df");
    }

    private static Map<Integer, Integer> draw(Sampler s, float[] x, int n) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(s.sample(x), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void drawsFollowTheReferenceDistribution() {
        Random r = new Random(11);
        float[] small = new float[40];
        for (int i = 0; i < small.length; i++) {
            small[i] = (float) (r.nextGaussian() * 1.5);
        }
        small[5] = small[9]; // a tie
        small[17] = Float.NEGATIVE_INFINITY;
        List<SamplingParams> ps = List.of(
                SamplingParams.builder().seed(1).build(),
                SamplingParams.builder().seed(2).temperature(0.5f).build(),
                SamplingParams.builder().seed(3).temperature(2.5f).topK(10).build(),
                SamplingParams.builder().seed(4).topP(0.8f).build(),
                SamplingParams.builder().seed(5).minP(0.1f).temperature(1.3f).build(),
                SamplingParams.builder().seed(6).topK(20).topP(0.9f).minP(0.05f).temperature(0.8f).build(),
                SamplingParams.builder().seed(7).bias(3, 2f).bias(4, Float.NEGATIVE_INFINITY).build());
        for (SamplingParams p : ps) {
            Sampler s = new Sampler(p, small.length);
            assertFollows(ReferenceSampling.candidates(small, p, List.of()), draw(s, small, DRAWS), DRAWS,
                    p.toString());
        }
    }

    @Test
    void wholeVocabularyDrawFollowsTheReference() {
        // the unfiltered path exponentiates the whole row in vector blocks: a row longer than several blocks,
        // with mass spread so that many blocks matter
        Random r = new Random(12);
        int v = 3001;
        float[] x = new float[v];
        for (int i = 0; i < v; i++) {
            x[i] = (float) (r.nextGaussian() * 0.5) - 6;
        }
        for (int j = 0; j < 30; j++) {
            x[r.nextInt(v)] = (float) r.nextGaussian();
        }
        SamplingParams p = SamplingParams.builder().seed(99).temperature(0.9f).build();
        assertFollows(ReferenceSampling.candidates(x, p, List.of()), draw(new Sampler(p, v), x, DRAWS), DRAWS,
                "whole vocabulary");
        SamplingParams topP = SamplingParams.builder().seed(98).topP(0.7f).build();
        assertFollows(ReferenceSampling.candidates(x, topP, List.of()), draw(new Sampler(topP, v), x, DRAWS),
                DRAWS, "top-p over the vocabulary");
    }

    @Test
    void largeSurvivorSetsFollowTheReference() {
        // thousands of survivors: the draw takes its weights from a vector pass at the temperature
        Random r = new Random(15);
        int v = 2600;
        int draws = 15_000;
        float[] x = new float[v];
        for (int i = 0; i < v; i++) {
            x[i] = (float) (r.nextGaussian() * 0.4);
        }
        x[17] = -20; // below min-p's bar
        SamplingParams p = SamplingParams.builder().seed(8).temperature(0.7f).minP(0.01f).build();
        Candidates reference = ReferenceSampling.candidates(x, p, List.of());
        assertTrue(reference.size() > 2048 && reference.size() < v, "size " + reference.size());
        assertFollows(reference, draw(new Sampler(p, v), x, draws), draws, "large survivor set");
        SamplingParams topP = SamplingParams.builder().seed(9).temperature(1.3f).topP(0.8f).build();
        assertFollows(ReferenceSampling.candidates(x, topP, List.of()), draw(new Sampler(topP, v), x, draws),
                draws, "large top-p nucleus");
    }

    @Test
    void penalizedDrawsFollowTheReference() {
        Random r = new Random(13);
        float[] x = new float[30];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        SamplingParams p = SamplingParams.builder().seed(5).repetitionPenalty(1.5f).presencePenalty(0.4f)
                .frequencyPenalty(0.3f).penaltyLastN(4).build();
        List<Integer> history = List.of(1, 2, 2, 7, 7, 7, 3);
        Sampler s = new Sampler(p, x.length);
        history.forEach(s::accept);
        assertFollows(ReferenceSampling.candidates(x, p, history), draw(s, x, DRAWS), DRAWS, "penalized");
    }

    @Test
    void bannedTokensAreNeverDrawn() {
        float[] x = {5, 0, 4, 1};
        SamplingParams p = SamplingParams.builder().temperature(5).bias(0, Float.NEGATIVE_INFINITY)
                .bias(2, Float.NEGATIVE_INFINITY).seed(3).build();
        Map<Integer, Integer> counts = draw(new Sampler(p, 4), x, 5000);
        assertEquals(Map.of(1, counts.get(1), 3, counts.get(3)), counts);
    }

    @Test
    void sameSeedSameChoicesDifferentSeedDifferentChoices() {
        Random r = new Random(14);
        float[] x = new float[500];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (SamplingParams base : List.of(SamplingParams.builder().build(),
                SamplingParams.builder().topK(50).topP(0.95f).build())) {
            int[] a = sequence(new Sampler(base.toBuilder().seed(42).build(), 500), x);
            int[] b = sequence(new Sampler(base.toBuilder().seed(42).build(), 500), x);
            int[] c = sequence(new Sampler(base.toBuilder().seed(43).build(), 500), x);
            assertArrayEquals(a, b);
            assertFalse(java.util.Arrays.equals(a, c), "seeds 42 and 43 gave the same 200 tokens");
            Sampler replay = new Sampler(base.toBuilder().seed(42).build(), 500);
            sequence(replay, x);
            replay.reset();
            assertArrayEquals(a, sequence(replay, x), "reset restarts the stream");
        }
    }

    private static int[] sequence(Sampler s, float[] x) {
        int[] out = new int[200];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.sample(x);
            s.accept(out[i]);
        }
        return out;
    }

    @Test
    void samplingLeavesTheCallersLogitsAlone() {
        float[] x = {1, 2, 3, 4};
        float[] copy = x.clone();
        Sampler s = new Sampler(SamplingParams.builder().bias(0, 3f).repetitionPenalty(2f).topK(2).build(), 4);
        s.accept(3);
        s.sample(x);
        s.candidates(x);
        assertArrayEquals(copy, x);
    }

    @Test
    void oneTokenVocabularyAlwaysGivesIt() {
        Sampler s = new Sampler(SamplingParams.builder().topP(0.5f).minP(0.5f).topK(3).build(), 1);
        for (int i = 0; i < 10; i++) {
            assertEquals(0, s.sample(new float[] {-7}));
        }
        assertNotEquals(-1, new Sampler(SamplingParams.builder().build(), 1).sample(new float[] {0}));
    }

    @Test
    void splitMixMatchesTheJdkAndThePublishedVectors() {
        // java.util.SplittableRandom(seed) draws the same SplitMix64 stream
        for (long seed : new long[] {0, 1, -1, 1234567, Long.MIN_VALUE}) {
            SplitMix64 ours = new SplitMix64(seed);
            java.util.SplittableRandom jdk = new java.util.SplittableRandom(seed);
            for (int i = 0; i < 100; i++) {
                assertEquals(jdk.nextLong(), ours.nextLong(), "seed " + seed + " draw " + i);
            }
        }
        // Vigna's splitmix64.c, seed 1234567
        SplitMix64 s = new SplitMix64(1234567);
        assertEquals(6457827717110365317L, s.nextLong());
        assertEquals(3203168211198807973L, s.nextLong());
        double d = new SplitMix64(5).nextDouble();
        assertTrue(d >= 0 && d < 1);
    }
}
