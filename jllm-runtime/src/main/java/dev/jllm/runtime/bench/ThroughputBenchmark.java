package dev.jllm.runtime.bench;

import dev.jllm.runtime.Generator;
import java.util.SplittableRandom;

/**
 * Prompt processing and token generation speed, measured as llama-bench does: {@code pp} runs a prompt
 * of random tokens through an empty cache in one go; {@code tg} generates tokens one at a time from a
 * one-token context. With a depth (llama-bench's {@code -d}), both start after that many random tokens
 * already in the cache, put there untimed: the speed deep into a conversation, where attention reads the
 * cache for every token. Each is repeated and reported as mean and sample standard deviation of tokens/s,
 * after an untimed warm-up (one full prompt, and decode for at least two seconds) that lets the JIT
 * compile the kernels.
 */
public final class ThroughputBenchmark {
    /** How long the decode warm-up runs at least (at most 50 rounds of 8 tokens). */
    static final long WARM_UP_NANOS = 2_000_000_000L;

    private ThroughputBenchmark() {
    }

    /**
     * The figures of one benchmark.
     *
     * @param ppTokensPerSecond prompt tokens/s, mean over repetitions (0 when no prompt was asked for)
     * @param ppSd its standard deviation
     * @param tgTokensPerSecond generated tokens/s, mean
     * @param tgSd its standard deviation
     * @param timeToFirstTokenMs mean time to run the prompt and have the first token's logits
     */
    public record Result(double ppTokensPerSecond, double ppSd, double tgTokensPerSecond, double tgSd,
            double timeToFirstTokenMs) {
    }

    /**
     * Runs the benchmark on a generator (whose sequence it resets).
     *
     * @param promptTokens tokens of the pp test (0 skips it)
     * @param generateTokens tokens of the tg test (0 skips it)
     * @param repetitions timed runs of each test
     * @throws IllegalArgumentException if a count is negative, repetitions is not positive, or the tests
     *     do not fit the generator's context
     */
    public static Result run(Generator generator, int promptTokens, int generateTokens, int repetitions, long seed) {
        return run(generator, promptTokens, generateTokens, 0, repetitions, seed);
    }

    /**
     * As {@link #run(Generator, int, int, int, long)}, each test starting after {@code depth} tokens of context.
     *
     * @throws IllegalArgumentException if a count or the depth is negative, repetitions is not positive, or
     *     the tests do not fit the generator's context
     */
    public static Result run(Generator generator, int promptTokens, int generateTokens, int depth, int repetitions,
            long seed) {
        if (promptTokens < 0 || generateTokens < 0 || depth < 0 || repetitions < 1) {
            throw new IllegalArgumentException("prompt and generated token counts and the depth must not be negative "
                    + "and repetitions must be positive; got " + promptTokens + ", " + generateTokens + ", " + depth
                    + ", " + repetitions);
        }
        long needed = (long) depth + Math.max(promptTokens, generateTokens + 1);
        if (needed > generator.contextLength()) {
            throw new IllegalArgumentException("the benchmark needs " + needed + " tokens of context (depth " + depth
                    + "), the context is " + generator.contextLength());
        }
        int vocab = generator.decoder().config().vocabSize();
        SplittableRandom rng = new SplittableRandom(seed);
        // warm-up: short versions of both tests, the decode one repeated for a while, so that C2 has
        // compiled the GEMV kernels (multi-row ones take a second or so) before anything is timed
        if (promptTokens > 0) {
            // the whole prompt once, as llama-bench's warm-up run: GEMM tiles of this size compile too
            prompt(generator, rng, vocab, depth, promptTokens);
        }
        long warmUntil = System.nanoTime() + WARM_UP_NANOS;
        int rounds = 0;
        do {
            generate(generator, rng, vocab, depth, Math.min(generateTokens, 8));
        } while (generateTokens > 0 && ++rounds < 50 && System.nanoTime() < warmUntil);
        double[] pp = new double[repetitions];
        double[] ttft = new double[repetitions];
        double[] tg = new double[repetitions];
        for (int r = 0; r < repetitions; r++) {
            if (promptTokens > 0) {
                long nanos = prompt(generator, rng, vocab, depth, promptTokens);
                pp[r] = promptTokens * 1e9 / nanos;
                ttft[r] = nanos / 1e6;
            }
            if (generateTokens > 0) {
                tg[r] = generateTokens * 1e9 / generate(generator, rng, vocab, depth, generateTokens);
            }
        }
        return new Result(mean(pp), sd(pp), mean(tg), sd(tg), mean(ttft));
    }

    private static long prompt(Generator generator, SplittableRandom rng, int vocab, int depth, int count) {
        startAt(generator, rng, vocab, depth);
        int[] ids = randomIds(rng, vocab, count);
        long start = System.nanoTime();
        generator.ingest(ids);
        return System.nanoTime() - start;
    }

    private static long generate(Generator generator, SplittableRandom rng, int vocab, int depth, int count) {
        startAt(generator, rng, vocab, depth);
        generator.ingest(new int[] {rng.nextInt(vocab)});
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            generator.append(argmax(generator.logits()));
        }
        return System.nanoTime() - start;
    }

    /** An empty sequence, then {@code depth} random tokens in the cache. */
    private static void startAt(Generator generator, SplittableRandom rng, int vocab, int depth) {
        generator.reset();
        if (depth > 0) {
            generator.ingest(randomIds(rng, vocab, depth));
        }
    }

    private static int[] randomIds(SplittableRandom rng, int vocab, int count) {
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = rng.nextInt(vocab);
        }
        return ids;
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double sd(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }
}
