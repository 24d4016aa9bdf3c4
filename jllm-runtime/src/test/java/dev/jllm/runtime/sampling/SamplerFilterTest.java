package dev.jllm.runtime.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Each filter's surviving set and probabilities against {@link ReferenceSampling} on random logits. */
class SamplerFilterTest {

    /** Logit rows of several shapes: spread, heavy ties, −∞ holes, all equal, one entry. */
    static float[] logits(Random r, int v, int kind) {
        float[] x = new float[v];
        for (int i = 0; i < v; i++) {
            switch (kind) {
                case 0 -> x[i] = (float) (r.nextGaussian() * 3);
                case 1 -> x[i] = r.nextInt(4) * 0.5f; // many ties
                case 2 -> x[i] = r.nextInt(5) == 0 ? Float.NEGATIVE_INFINITY : (float) (r.nextGaussian() * 2);
                case 3 -> x[i] = 1.25f; // all equal
                default -> x[i] = (float) (r.nextGaussian() * 0.3 + (i % 7 == 0 ? 8 : 0)); // a few dominant
            }
        }
        if (kind == 2) {
            x[r.nextInt(v)] = 0.5f; // at least one finite
        }
        return x;
    }

    private static void assertSame(Candidates expected, Candidates actual, String what) {
        assertArrayEquals(expected.ids(), actual.ids(), what);
        double[] e = expected.probabilities();
        double[] a = actual.probabilities();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-12 + 1e-9 * e[i], what + " probability of " + expected.ids()[i]);
        }
    }

    @Test
    void everyFilterCombinationMatchesTheReference() {
        Random r = new Random(20261128);
        int[] sizes = {1, 2, 7, 64, 333, 4099};
        int[] topKs = {0, -1, 1, 3, 40, 1 << 20};
        float[] topPs = {1f, 0f, 0.37f, 0.9f, 0.995f};
        float[] minPs = {0f, 0.05f, 0.41f, 1f};
        float[] temps = {0.6f, 1f, 1.7f};
        int cases = 0;
        for (int v : sizes) {
            for (int kind = 0; kind < 5; kind++) {
                for (int trial = 0; trial < 12; trial++) {
                    float[] x = logits(r, v, kind);
                    SamplingParams p = SamplingParams.builder()
                            .topK(topKs[r.nextInt(topKs.length)])
                            .topP(topPs[r.nextInt(topPs.length)])
                            .minP(minPs[r.nextInt(minPs.length)])
                            .temperature(temps[r.nextInt(temps.length)])
                            .build();
                    Candidates actual = new Sampler(p, v).candidates(x);
                    assertSame(ReferenceSampling.candidates(x, p, List.of()), actual,
                            "V=" + v + " kind=" + kind + " " + p);
                    cases++;
                }
            }
        }
        assertEquals(sizes.length * 5 * 12, cases);
    }

    @Test
    void eachFilterAloneMatchesTheReferenceAtVocabularyScale() {
        Random r = new Random(7);
        int v = 20_000;
        for (int kind : new int[] {0, 1, 2, 4}) {
            float[] x = logits(r, v, kind);
            List<SamplingParams> ps = List.of(
                    SamplingParams.builder().topK(40).build(),
                    SamplingParams.builder().topK(1).build(),
                    SamplingParams.builder().topP(0.9f).build(),
                    SamplingParams.builder().topP(0.5f).build(),
                    SamplingParams.builder().minP(0.05f).build(),
                    SamplingParams.builder().topK(1000).topP(0.8f).minP(0.02f).temperature(0.7f).build());
            for (SamplingParams p : ps) {
                assertSame(ReferenceSampling.candidates(x, p, List.of()), new Sampler(p, v).candidates(x),
                        "kind=" + kind + " " + p);
            }
        }
    }

    @Test
    void topKKeepsExactlyKWithTiesGoingToTheLowerId() {
        float[] x = {1, 3, 3, 2, 3, 3};
        Candidates c = new Sampler(SamplingParams.builder().topK(3).build(), 6).candidates(x);
        assertArrayEquals(new int[] {1, 2, 4}, c.ids());
        // -0 and +0 are one value: the lower id wins
        float[] z = {-0.0f, 0.0f, -1};
        assertArrayEquals(new int[] {0}, new Sampler(SamplingParams.builder().topK(1).build(), 3).candidates(z).ids());
    }

    @Test
    void topPKeepsTheShortestPrefixReachingP() {
        // probabilities proportional to 4, 2, 1, 1 -> 0.5, 0.25, 0.125, 0.125
        float[] x = {(float) Math.log(1), (float) Math.log(4), (float) Math.log(2), (float) Math.log(1)};
        assertArrayEquals(new int[] {1}, candidatesFor(x, SamplingParams.builder().topP(0.4f)));
        assertArrayEquals(new int[] {1, 2}, candidatesFor(x, SamplingParams.builder().topP(0.6f)));
        assertArrayEquals(new int[] {1, 2, 0}, candidatesFor(x, SamplingParams.builder().topP(0.8f)));
        assertArrayEquals(new int[] {1}, candidatesFor(x, SamplingParams.builder().topP(0f)));
    }

    @Test
    void minPKeepsTokensWithinTheRatioOfTheTop() {
        float[] x = {0, (float) Math.log(10), (float) Math.log(5), (float) Math.log(0.99)};
        // relative to the top (10): 0.1, 1, 0.5, 0.099
        assertArrayEquals(new int[] {1, 2, 0}, candidatesFor(x, SamplingParams.builder().minP(0.0995f)));
        assertArrayEquals(new int[] {1, 2}, candidatesFor(x, SamplingParams.builder().minP(0.2f)));
        assertArrayEquals(new int[] {1}, candidatesFor(x, SamplingParams.builder().minP(1f)));
    }

    @Test
    void greedyIsTheArgmaxWithTiesToTheLowestId() {
        float[] x = {0, 5, 1, 5, -2};
        Sampler s = new Sampler(SamplingParams.greedy(), 5);
        assertEquals(1, s.sample(x));
        Sampler biased = new Sampler(SamplingParams.builder().temperature(0).bias(3, 0.5f).topK(1).build(), 5);
        assertEquals(3, biased.sample(x));
        Sampler banned = new Sampler(SamplingParams.builder().temperature(0)
                .bias(1, Float.NEGATIVE_INFINITY).build(), 5);
        assertEquals(3, banned.sample(x));
        assertEquals(0, new Sampler(SamplingParams.greedy(), 1).sample(new float[] {-3}));
    }

    @Test
    void greedyAgreesWithTheReferenceOnRandomRows() {
        Random r = new Random(3);
        for (int t = 0; t < 200; t++) {
            int v = 1 + r.nextInt(3000);
            float[] x = logits(r, v, t % 5);
            int expected = ReferenceSampling.ranked(x).get(0).id();
            assertEquals(expected, new Sampler(SamplingParams.greedy(), v).sample(x), "trial " + t);
        }
    }

    @Test
    void biasAppliesBeforeTheFilters() {
        float[] x = {0, 0, 0, 0};
        SamplingParams p = SamplingParams.builder().bias(2, 3f).bias(0, Float.NEGATIVE_INFINITY).topK(2).build();
        Candidates c = new Sampler(p, 4).candidates(x);
        assertSame(ReferenceSampling.candidates(x, p, List.of()), c, "bias");
        assertArrayEquals(new int[] {2, 1}, c.ids());
    }

    private static int[] candidatesFor(float[] x, SamplingParams.Builder b) {
        SamplingParams p = b.build();
        int[] ids = new Sampler(p, x.length).candidates(x).ids();
        assertArrayEquals(ReferenceSampling.candidates(x, p, new ArrayList<>()).ids(), ids, "reference");
        return ids;
    }
}
