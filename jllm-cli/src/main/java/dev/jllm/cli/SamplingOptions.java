package dev.jllm.cli;

import dev.jllm.runtime.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import picocli.CommandLine.Option;

/** Sampling and stopping options shared by {@code generate} and {@code chat}; defaults are llama.cpp's. */
final class SamplingOptions {
    @Option(names = {"-n", "--max-tokens"}, defaultValue = "-1", paramLabel = "N",
            description = "Most tokens to generate, -1 until an end token or the context's end (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temp", defaultValue = "0.8", paramLabel = "T",
            description = "Temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", paramLabel = "K",
            description = "Keep the K most likely tokens, 0 for all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", paramLabel = "P",
            description = "Keep the most likely tokens whose probabilities sum to P, 1 to disable (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05", paramLabel = "P",
            description = "Drop tokens less likely than P times the most likely, 0 to disable (default: ${DEFAULT-VALUE}).")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", paramLabel = "R",
            description = "Repetition penalty, 1 to disable (default: ${DEFAULT-VALUE}).")
    float repetitionPenalty;

    @Option(names = "--presence-penalty", defaultValue = "0", paramLabel = "P",
            description = "Presence penalty (default: ${DEFAULT-VALUE}).")
    float presencePenalty;

    @Option(names = "--frequency-penalty", defaultValue = "0", paramLabel = "F",
            description = "Frequency penalty (default: ${DEFAULT-VALUE}).")
    float frequencyPenalty;

    @Option(names = "--repeat-last-n", defaultValue = "64", paramLabel = "N",
            description = "Recent tokens the penalties look at, -1 for the whole context (default: ${DEFAULT-VALUE}).")
    int penaltyLastN;

    @Option(names = "--logit-bias", paramLabel = "ID=BIAS",
            description = "Add BIAS to token ID's logit (repeatable); -inf bans the token.")
    List<String> logitBias = new ArrayList<>();

    @Option(names = "--seed", paramLabel = "S", description = "Random seed; the same seed gives the same text (default: random).")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when TEXT is generated (repeatable); TEXT is not printed.")
    List<String> stops = new ArrayList<>();

    /** The seed given, or a random one. */
    long seedValue() {
        return seed != null ? seed : new SplittableRandom().nextLong() & Long.MAX_VALUE;
    }

    /** The parameters; each invalid value is reported with its option's name. */
    SamplingParams params(long seedValue) {
        SamplingParams.Builder b = SamplingParams.builder();
        set("--temp", () -> b.temperature(temperature));
        set("--top-k", () -> b.topK(topK));
        set("--top-p", () -> b.topP(topP));
        set("--min-p", () -> b.minP(minP));
        set("--repeat-penalty", () -> b.repetitionPenalty(repetitionPenalty));
        set("--presence-penalty", () -> b.presencePenalty(presencePenalty));
        set("--frequency-penalty", () -> b.frequencyPenalty(frequencyPenalty));
        set("--repeat-last-n", () -> b.penaltyLastN(penaltyLastN));
        for (String entry : logitBias) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--logit-bias takes ID=BIAS, got '" + entry + "'");
            }
            try {
                int id = Integer.parseInt(entry.substring(0, eq).trim());
                String v = entry.substring(eq + 1).trim();
                float bias = v.equalsIgnoreCase("-inf") ? Float.NEGATIVE_INFINITY : Float.parseFloat(v);
                set("--logit-bias", () -> b.bias(id, bias));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--logit-bias takes ID=BIAS, got '" + entry + "'");
            }
        }
        b.seed(seedValue);
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid sampling options: " + e.getMessage());
        }
    }

    private static void set(String option, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }
}
