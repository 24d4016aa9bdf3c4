package dev.jllm.runtime.sampling;

import java.util.Arrays;
import java.util.Map;

/**
 * Picks the next token from a row of logits according to {@link SamplingParams}, keeping the history of
 * accepted tokens that the penalties need. Not thread-safe: one sampler per sequence.
 *
 * <p>The stages run in llama.cpp's default order:
 * <ol>
 *   <li>logit bias (added; −∞ bans);</li>
 *   <li>penalties over the last {@code penaltyLastN} accepted tokens: repetition (positive logits divided,
 *       others multiplied), then {@code count * frequency + (count > 0) * presence} subtracted;</li>
 *   <li>top-k (ties at the k-th place go to the lower id, so exactly k survive);</li>
 *   <li>top-p: softmax at temperature 1 over the top-k survivors, keep the shortest best-first prefix
 *       whose probability reaches p;</li>
 *   <li>min-p: keep tokens with {@code p >= minP * p_max}, i.e. {@code logit >= max + ln(minP)};</li>
 *   <li>temperature: the survivors' logits are divided by it and one token is drawn from their softmax
 *       with a uniform double from {@link SplitMix64}.</li>
 * </ol>
 * Temperature 0 is greedy: the argmax after bias and penalties, lowest id on ties, and no random number is
 * consumed. Hugging Face differs: its {@code generate} applies the temperature <em>before</em> top-k and
 * top-p (so top-p sees the tempered distribution), keeps every token tied with the k-th in top-k, and
 * applies repetition penalty to the prompt and output alike with no window.
 *
 * <p>The caller decides which tokens the penalties see by calling {@link #accept}: llama.cpp's CLI and
 * server accept the prompt tokens too, then every generated token.
 *
 * <p>Speed: the caller's array is never modified; it is copied only when bias or penalties change it, and
 * then they touch only their own entries. One pass finds the maximum and the greedy choice; top-k is a
 * bounded heap with a one-compare admission test; top-p without top-k sums the exponentials in one vector
 * pass, then quickselects the prefix among the tokens within a fraction of a nat of the needed depth (no
 * sort of the vocabulary); min-p is a threshold compare. Whole-vocabulary exponentials (top-p without
 * top-k, no filter at all, large survivor sets, logprobs) use the Vector API, which is slow for the first
 * dozen or so calls in a JVM, until C2 has compiled it.
 *
 * <p>Determinism: the same parameters, seed, accepted tokens and logits give the same choices; the random
 * stream is {@link SplitMix64}, the same on every platform. One caveat: the whole-vocabulary paths use the
 * Vector API's exponential, whose last bit may differ between CPUs (and between interpreted and compiled
 * code), so a choice can change only when the uniform draw falls within that rounding (about 1e-7
 * relative) of a boundary between two tokens. Greedy, and top-k or min-p with at most 2048 survivors, use
 * {@link StrictMath#exp} only and are bit-reproducible everywhere.
 */
public final class Sampler {
    /** Depths in nats below the maximum whose probability mass top-p measures in its first pass. */
    private static final float[] TOP_P_BANDS = {2, 4, 8, 16, 32};
    private static final int ALL = -1;
    /** Above this many survivors the draw takes its weights from one vector pass over the vocabulary. */
    private static final int LARGE_CANDIDATE_SET = 2048;

    private final SamplingParams params;
    private final int vocabSize;
    private final int[] biasIds;
    private final float[] biasValues;
    private final PenaltyWindow window;
    private final float[] work; // scratch copy, used only when bias or penalties change logits
    private float[] x; // the logits after bias and penalties: work, or the caller's array untouched
    private int argmax;
    private final long[] keys;
    private final double[] bandMass = new double[LogitScan.BANDS];
    private final float[] subDepth = new float[LogitScan.BANDS];
    private float[] weights;
    private float weightsScale; // weights holds exp((x - max) * weightsScale) for this call; NaN: nothing
    private double[] blockSums;
    private double[] candidateWeights;
    private SplitMix64 rng;
    private float max;
    private boolean prepared;

    /**
     * A sampler for logits rows of length {@code vocabSize}.
     *
     * @throws IllegalArgumentException if {@code vocabSize < 1} or a {@code logitBias} id lies outside the
     *                                  vocabulary
     */
    public Sampler(SamplingParams params, int vocabSize) {
        if (params == null) {
            throw new IllegalArgumentException("params must not be null");
        }
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabSize must be >= 1, got " + vocabSize);
        }
        this.params = params;
        this.vocabSize = vocabSize;
        this.biasIds = new int[params.logitBias().size()];
        this.biasValues = new float[biasIds.length];
        int b = 0;
        for (Map.Entry<Integer, Float> e : params.logitBias().entrySet()) {
            if (e.getKey() >= vocabSize) {
                throw new IllegalArgumentException("logitBias token id " + e.getKey()
                        + " is outside the vocabulary [0, " + vocabSize + ")");
            }
            biasIds[b] = e.getKey();
            biasValues[b++] = e.getValue();
        }
        this.window = new PenaltyWindow(vocabSize, params.penalizes() ? params.penaltyLastN() : 0);
        this.work = biasIds.length > 0 || params.penalizes() ? new float[vocabSize] : null;
        this.keys = new long[vocabSize];
        this.rng = new SplitMix64(params.seed());
    }

    /** The parameters this sampler was made with. */
    public SamplingParams params() {
        return params;
    }

    /** The length every logits row must have. */
    public int vocabSize() {
        return vocabSize;
    }

    /** Records a token (prompt or generated) for the penalties. */
    public void accept(int token) {
        window.accept(token);
    }

    /** Records several tokens in order, e.g. the prompt. */
    public void acceptAll(int[] tokens) {
        for (int t : tokens) {
            window.accept(t);
        }
    }

    /** Forgets the accepted tokens and restarts the random stream from the seed. */
    public void reset() {
        window.clear();
        rng = new SplitMix64(params.seed());
        prepared = false;
    }

    /**
     * Chooses the next token from {@code logits} (length {@link #vocabSize()}, left unchanged). Does not
     * {@link #accept} it.
     *
     * @throws IllegalArgumentException on a wrong length, a NaN or +∞ logit, or when every logit is −∞
     *                                  after the bias
     */
    public int sample(float[] logits) {
        prepare(logits);
        if (params.isGreedy()) {
            return argmax;
        }
        int n = filter();
        if (n == ALL) {
            float scale = 1 / params.temperature();
            if (Float.isFinite(scale)) {
                return drawFromVocabulary(scale);
            }
            n = LogitScan.collectAtLeast(x, -Float.MAX_VALUE, keys);
        }
        return drawFromCandidates(n);
    }

    /**
     * The tokens {@link #sample} would draw from for {@code logits} and their probabilities, most likely
     * first. Consumes no random number; like {@link #sample} it records these logits for
     * {@link #logprobs}.
     */
    public Candidates candidates(float[] logits) {
        prepare(logits);
        if (params.isGreedy()) {
            return new Candidates(new int[] {argmax}, new double[] {1.0});
        }
        int n = filter();
        if (n == ALL) {
            n = LogitScan.collectAtLeast(x, -Float.MAX_VALUE, keys);
        }
        Arrays.sort(keys, 0, n);
        int[] ids = new int[n];
        double[] p = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            ids[i] = CandidateKey.id(keys[i]);
            p[i] = Math.exp(((double) x[ids[i]] - max) / params.temperature());
            total += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= total;
        }
        return new Candidates(ids, p);
    }

    /**
     * Log-probabilities of {@code token} and of the {@code topN} most likely tokens under the logits of the
     * last {@link #sample} or {@link #candidates} call, after bias and penalties, before temperature and
     * the filters (see {@link TokenLogprobs}). Without bias and penalties the sampler reads the caller's
     * array itself, so call this before that array is overwritten.
     *
     * @throws IllegalStateException if no logits have been given yet
     */
    public TokenLogprobs logprobs(int token, int topN) {
        if (!prepared) {
            throw new IllegalStateException("logprobs needs a preceding sample() or candidates() call");
        }
        return TokenLogprobs.of(x, token, topN);
    }

    /**
     * Applies bias and penalties to a copy of the logits (or takes the caller's array as it is when there
     * are none), then finds and checks the maximum and the first index holding it in one pass.
     */
    private void prepare(float[] logits) {
        if (logits == null || logits.length != vocabSize) {
            throw new IllegalArgumentException("logits must have length vocabSize " + vocabSize + ", got "
                    + (logits == null ? "null" : logits.length));
        }
        prepared = false;
        weightsScale = Float.NaN;
        x = logits;
        if (biasIds.length > 0 || params.penalizes()) {
            System.arraycopy(logits, 0, work, 0, vocabSize);
            for (int i = 0; i < biasIds.length; i++) {
                work[biasIds[i]] += biasValues[i];
            }
            if (params.penalizes()) {
                applyPenalties();
            }
            x = work;
        }
        float m = Float.NEGATIVE_INFINITY;
        int at = -1;
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            if (!(v <= m)) { // a new maximum, or NaN: rare, so the loop is one predictable compare
                if (v != v || v == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("logit at index " + i + " is " + v
                            + " (after logit bias and penalties); logits must be finite or -Infinity");
                }
                m = v;
                at = i;
            }
        }
        if (at < 0) {
            throw new IllegalArgumentException(
                    "every logit is -Infinity (after logit bias and penalties): no token can be chosen");
        }
        max = m;
        argmax = at;
        prepared = true;
    }

    private void applyPenalties() {
        float repeat = params.repetitionPenalty();
        float frequency = params.frequencyPenalty();
        float presence = params.presencePenalty();
        for (int i = 0; i < window.distinctCount(); i++) {
            int t = window.distinctToken(i);
            int count = window.count(t);
            float l = work[t];
            if (repeat != 1) {
                l = l <= 0 ? l * repeat : l / repeat;
            }
            work[t] = l - (count * frequency + presence);
        }
    }

    /**
     * Runs top-k, top-p and min-p. Returns {@link #ALL} when no filter is active, otherwise the number of
     * survivors whose keys are in {@code keys[0..n)}.
     */
    private int filter() {
        int n = ALL;
        boolean sorted = false;
        int k = params.topK();
        if (k > 0 && k < vocabSize) {
            n = TopSelection.select(x, k, keys);
            sorted = true;
        }
        if (params.topP() < 1) {
            if (n == ALL) {
                n = topPOverVocabulary();
                sorted = false;
            } else {
                int prefix = topPPrefix(n, sumOfExp(n));
                n = prefix > 0 ? prefix : n; // rounding kept p out of reach: keep them all
            }
        }
        if (params.minP() > 0) {
            double logMin = Math.log(params.minP());
            if (n == ALL) {
                float bar = Math.nextDown((float) (max + logMin)); // float rounding never drops a survivor
                n = LogitScan.collectAtLeast(x, bar, keys);
                sorted = false;
            }
            if (sorted) {
                while (n > 1 && !(x[CandidateKey.id(keys[n - 1])] - (double) max >= logMin)) {
                    n--;
                }
            } else {
                int kept = 0;
                for (int i = 0; i < n; i++) {
                    if (x[CandidateKey.id(keys[i])] - (double) max >= logMin) {
                        keys[kept++] = keys[i];
                    }
                }
                n = kept;
            }
        }
        return n;
    }

    private double sumOfExp(int n) {
        double z = 0;
        for (int i = 0; i < n; i++) {
            z += StrictMath.exp((double) x[CandidateKey.id(keys[i])] - max);
        }
        return z;
    }

    /**
     * Top-p over the whole vocabulary: one vector pass stores every exponential and sums them, also per
     * band of depth below the maximum; the depth at which the mass reaches p is then narrowed by two
     * cheaper passes (masked sums, no exponentials) to within a fraction of a nat, only the tokens above it
     * are collected, and the prefix is found among them by quickselect ({@link NucleusSelection}). If
     * rounding left the collected set short, the band is widened. The survivors come back unordered.
     */
    private int topPOverVocabulary() {
        ensureWeights();
        double z = LogitScan.expSumBanded(x, max, TOP_P_BANDS, bandMass, weights);
        weightsScale = 1;
        double need = params.topP() * z;
        int band = 0;
        while (band < TOP_P_BANDS.length && bandMass[band] < need) {
            band++;
        }
        float everything = Float.POSITIVE_INFINITY;
        float bandDepth = band < TOP_P_BANDS.length ? TOP_P_BANDS[band] : everything;
        float refined = band < TOP_P_BANDS.length
                ? refineDepth(band == 0 ? 0 : TOP_P_BANDS[band - 1], bandDepth, need)
                : everything;
        int m = 0;
        for (float depth : new float[] {refined, bandDepth, everything}) {
            float bar = depth == everything ? -Float.MAX_VALUE : max - depth;
            m = LogitScan.collectAtLeast(x, bar, keys);
            int n = NucleusSelection.select(keys, m, weights, need);
            if (n > 0) {
                return n;
            }
        }
        return m; // rounding kept p out of reach of every finite token: keep them all
    }

    /** Narrows a depth interval whose far end holds mass {@code need} by two rounds of five-way splits. */
    private float refineDepth(float lo, float hi, double need) {
        for (int round = 0; round < 2; round++) {
            for (int k = 0; k < subDepth.length; k++) {
                subDepth[k] = lo + (hi - lo) * (k + 1) / (subDepth.length + 1);
            }
            LogitScan.bandMass(x, max, weights, subDepth, bandMass);
            int k = 0;
            while (k < subDepth.length && bandMass[k] < need) {
                k++;
            }
            if (k < subDepth.length) {
                lo = k == 0 ? lo : subDepth[k - 1];
                hi = subDepth[k];
            } else {
                lo = subDepth[subDepth.length - 1];
            }
        }
        return hi;
    }

    private void ensureWeights() {
        if (weights == null) {
            weights = new float[vocabSize];
            blockSums = new double[(vocabSize + LogitScan.BLOCK - 1) / LogitScan.BLOCK];
        }
    }

    /**
     * The length of the shortest prefix of the sorted {@code keys[0..m)} whose probability (each term
     * {@code exp(l - max) / z}) reaches top-p, or 0 if all m together do not reach it.
     */
    private int topPPrefix(int m, double z) {
        double p = params.topP();
        double cum = 0;
        for (int i = 0; i < m; i++) {
            cum += StrictMath.exp((double) x[CandidateKey.id(keys[i])] - max) / z;
            if (cum >= p) {
                return i + 1;
            }
        }
        return 0;
    }

    /** Draws among every token with a finite logit using vector exponentials and block sums. */
    private int drawFromVocabulary(float scale) {
        ensureWeights();
        double total = LogitScan.expWeights(x, max, scale, weights, blockSums);
        weightsScale = scale;
        double target = rng.nextDouble() * total;
        double cum = 0;
        for (int b = 0; b < blockSums.length; b++) {
            if (cum + blockSums[b] > target) {
                int start = b * LogitScan.BLOCK;
                int end = Math.min(vocabSize, start + LogitScan.BLOCK);
                int lastPositive = -1;
                for (int i = start; i < end; i++) {
                    if (weights[i] > 0) {
                        cum += weights[i];
                        lastPositive = i;
                        if (cum > target) {
                            return i;
                        }
                    }
                }
                return lastPositive; // in-block rounding fell short of the block sum
            }
            cum += blockSums[b];
        }
        return argmax; // unreachable: the walk adds the blocks as the total did
    }

    /** Draws among {@code keys[0..n)} with double-precision weights at the sampling temperature. */
    private int drawFromCandidates(int n) {
        if (candidateWeights == null) {
            candidateWeights = new double[vocabSize];
        }
        double temperature = params.temperature();
        float scale = (float) (1 / temperature);
        double total = 0;
        if (n > LARGE_CANDIDATE_SET && Float.isFinite(scale)) {
            // one vector pass over the vocabulary costs less than this many scalar exponentials
            if (weightsScale != scale) {
                ensureWeights();
                LogitScan.expWeights(x, max, scale, weights, blockSums);
                weightsScale = scale;
            }
            for (int i = 0; i < n; i++) {
                double w = weights[CandidateKey.id(keys[i])];
                candidateWeights[i] = w;
                total += w;
            }
        } else {
            for (int i = 0; i < n; i++) {
                double w = StrictMath.exp(((double) x[CandidateKey.id(keys[i])] - max) / temperature);
                candidateWeights[i] = w;
                total += w;
            }
        }
        double target = rng.nextDouble() * total;
        double cum = 0;
        int lastPositive = CandidateKey.id(keys[0]);
        for (int i = 0; i < n; i++) {
            if (candidateWeights[i] > 0) {
                cum += candidateWeights[i];
                lastPositive = CandidateKey.id(keys[i]);
                if (cum > target) {
                    return lastPositive;
                }
            }
        }
        return lastPositive;
    }
}
