package dev.jllm.eval.scoring;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.Decoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates text after a prompt as the harness's {@code generate_until} requests do: the prompt is left-truncated
 * so that it and the generated tokens fit the length, tokens are chosen greedily (temperature 0) or sampled from the
 * softmax of the logits divided by the temperature, and generation ends at an end-of-sequence token, after the most
 * tokens, or at the first stop string, which is cut off together with everything after it.
 *
 * <p>An instance keeps a KV cache: it serves one thread at a time, and closing it frees the cache.
 */
public final class TextGeneration implements AutoCloseable {
    private final Decoder decoder;
    private final Tokenizer tokenizer;
    private final int maxLength;
    private final boolean addBos;
    private final int chunk;
    private final KvCache cache;
    private final float[] logits;

    /**
     * A generator.
     *
     * @param maxLength the most tokens the model reads, prompt and generated together
     * @param chunk the most prompt tokens per forward pass
     */
    public TextGeneration(Decoder decoder, Tokenizer tokenizer, DType cacheType, int maxLength, boolean addBos,
            int chunk) {
        if (maxLength < 2 || maxLength > decoder.config().contextLength()) {
            throw new IllegalArgumentException("the generation length must be in 2.."
                    + decoder.config().contextLength() + ", got " + maxLength);
        }
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.addBos = addBos;
        this.chunk = Math.max(1, chunk);
        this.cache = decoder.newCache(cacheType, maxLength);
        this.logits = new float[decoder.config().vocabSize()];
    }

    /**
     * The text generated after {@code prompt}.
     *
     * @param until stop strings; the text ends before the first one that appears
     * @param maxTokens the most tokens to generate, fewer than the length
     * @param temperature 0 for greedy choice, else the sampling temperature
     * @param rng the random source of sampling
     */
    public String generate(String prompt, List<String> until, int maxTokens, double temperature, SplittableRandom rng) {
        return generate(prompt, until, maxTokens, temperature, rng, 1).getFirst();
    }

    /**
     * {@code samples} texts generated after {@code prompt}, as {@link #generate(String, List, int, double,
     * SplittableRandom)}; the prompt runs once and every sample continues from its cached positions.
     */
    public List<String> generate(String prompt, List<String> until, int maxTokens, double temperature,
            SplittableRandom rng, int samples) {
        if (maxTokens < 1 || maxTokens >= maxLength) {
            throw new IllegalArgumentException("--max-gen-toks must be in 1.." + (maxLength - 1) + ", got " + maxTokens);
        }
        int[] all = tokenizer.encode(prompt, addBos, false);
        int[] ids = all.length > maxLength - maxTokens ? Arrays.copyOfRange(all, all.length - (maxLength - maxTokens),
                all.length) : all;
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        for (int from = 0; from < ids.length; from += chunk) {
            decoder.forward(ids, from, Math.min(chunk, ids.length - from), from, cache, logits);
        }
        float[] promptLogits = logits.clone();
        List<String> out = new ArrayList<>();
        for (int k = 0; k < samples; k++) {
            System.arraycopy(promptLogits, 0, logits, 0, logits.length);
            out.add(continueAfter(ids.length, until, maxTokens, temperature, rng));
        }
        return out;
    }

    /** Generates from the logits after the {@code at} cached prompt positions, overwriting what follows them. */
    private String continueAfter(int at, List<String> until, int maxTokens, double temperature, SplittableRandom rng) {
        int[] generated = new int[maxTokens];
        int[] one = new int[1];
        int n = 0;
        String text = "";
        while (n < maxTokens) {
            int next = temperature <= 0 ? argmax() : sample(temperature, rng);
            if (isEnd(next)) {
                break;
            }
            generated[n++] = next;
            text = tokenizer.decode(Arrays.copyOf(generated, n), true);
            int stop = firstStop(text, until);
            if (stop >= 0) {
                return text.substring(0, stop);
            }
            if (n == maxTokens) {
                break;
            }
            one[0] = next;
            decoder.forward(one, 0, 1, at + n - 1, cache, logits);
        }
        return text;
    }

    private boolean isEnd(int id) {
        for (int e : tokenizer.eosIds()) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    /** Where the earliest stop string starts in {@code text}, or -1. */
    static int firstStop(String text, List<String> until) {
        int best = -1;
        for (String u : until) {
            int at = text.indexOf(u);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    private int argmax() {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private int sample(double temperature, SplittableRandom rng) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double z = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            z += p[i];
        }
        double u = rng.nextDouble() * z;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u < 0) {
                return i;
            }
        }
        return argmax();
    }

    /** Frees the cache. */
    @Override
    public void close() {
        cache.close();
    }
}
