package dev.jllm.runtime.sampling;

import java.util.HashMap;
import java.util.Map;

/**
 * How a {@link Sampler} picks the next token. Immutable; every component is validated and a bad value
 * throws {@link IllegalArgumentException} naming the parameter.
 *
 * <p>Neutral values switch a stage off: {@code topK} 0 or -1, {@code topP} 1, {@code minP} 0,
 * {@code repetitionPenalty} 1, {@code presencePenalty} and {@code frequencyPenalty} 0, an empty
 * {@code logitBias}. A {@code temperature} of 0 means greedy decoding (argmax after bias and penalties).
 *
 * @param temperature       divides the logits of the surviving candidates before the draw; 0 is greedy
 * @param topK              keep the k most likely tokens (ties broken by lowest id); 0 or -1 is off
 * @param topP              keep the smallest most-likely prefix whose probability reaches p (at least one
 *                          token is kept, so 0 keeps only the most likely); 1 is off
 * @param minP              keep tokens whose probability is at least {@code minP} times the top token's; 0 is off
 * @param repetitionPenalty llama.cpp / HF: a recent token's positive logit is divided by it, a negative
 *                          (or zero) one multiplied; 1 is off
 * @param presencePenalty   OpenAI: subtracted once from every token seen in the window
 * @param frequencyPenalty  OpenAI: subtracted once per occurrence in the window
 * @param penaltyLastN      how many of the most recent accepted tokens the penalties look at; -1 is every
 *                          accepted token, 0 switches the penalties off (llama.cpp's {@code repeat_last_n})
 * @param logitBias         added to the logit of each listed token id; {@code -Infinity} bans the token
 * @param seed              seeds the draw: equal seeds, parameters and logits give equal choices
 */
public record SamplingParams(
        float temperature,
        int topK,
        float topP,
        float minP,
        float repetitionPenalty,
        float presencePenalty,
        float frequencyPenalty,
        int penaltyLastN,
        Map<Integer, Float> logitBias,
        long seed) {

    /** llama.cpp's default window for the penalties. */
    public static final int DEFAULT_PENALTY_LAST_N = 64;

    /** Validates every component and freezes {@code logitBias}. */
    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < -1) {
            throw new IllegalArgumentException("topK must be >= 0 (0 or -1 switch it off), got " + topK);
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must lie in [0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("minP must lie in [0, 1], got " + minP);
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException(
                    "repetitionPenalty must be a finite number > 0, got " + repetitionPenalty);
        }
        if (!Float.isFinite(presencePenalty)) {
            throw new IllegalArgumentException("presencePenalty must be finite, got " + presencePenalty);
        }
        if (!Float.isFinite(frequencyPenalty)) {
            throw new IllegalArgumentException("frequencyPenalty must be finite, got " + frequencyPenalty);
        }
        if (penaltyLastN < -1) {
            throw new IllegalArgumentException(
                    "penaltyLastN must be >= 0, or -1 for every accepted token, got " + penaltyLastN);
        }
        if (logitBias == null) {
            throw new IllegalArgumentException("logitBias must not be null (use an empty map)");
        }
        for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
            Integer id = e.getKey();
            Float bias = e.getValue();
            if (id == null || id < 0) {
                throw new IllegalArgumentException("logitBias token id must be >= 0, got " + id);
            }
            // +Infinity would turn the softmax into NaN; -Infinity is the documented way to ban a token
            if (bias == null || bias.isNaN() || bias == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException(
                        "logitBias for token " + id + " must be finite or -Infinity, got " + bias);
            }
        }
        logitBias = Map.copyOf(logitBias);
    }

    /** Greedy decoding: temperature 0, nothing else. */
    public static SamplingParams greedy() {
        return builder().temperature(0).build();
    }

    /**
     * llama.cpp's command-line defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, penalties off
     * with a window of 64.
     */
    public static SamplingParams llamaCppDefaults() {
        return builder().temperature(0.8f).topK(40).topP(0.95f).minP(0.05f).build();
    }

    /** A builder starting from plain sampling: temperature 1, every filter and penalty off, seed 0. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these parameters. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.repetitionPenalty = repetitionPenalty;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.penaltyLastN = penaltyLastN;
        b.logitBias = new HashMap<>(logitBias);
        b.seed = seed;
        return b;
    }

    /** Whether the choice is the argmax (temperature 0). */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /** Whether any penalty changes a logit. */
    public boolean penalizes() {
        return penaltyLastN != 0
                && (repetitionPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0);
    }

    /** Mutable collector of parameters; {@link #build()} validates. */
    public static final class Builder {
        private float temperature = 1;
        private int topK = 0;
        private float topP = 1;
        private float minP = 0;
        private float repetitionPenalty = 1;
        private float presencePenalty = 0;
        private float frequencyPenalty = 0;
        private int penaltyLastN = DEFAULT_PENALTY_LAST_N;
        private Map<Integer, Float> logitBias = new HashMap<>();
        private long seed = 0;

        private Builder() {
        }

        /** See {@link SamplingParams#temperature()}. */
        public Builder temperature(float v) {
            temperature = v;
            return this;
        }

        /** See {@link SamplingParams#topK()}. */
        public Builder topK(int v) {
            topK = v;
            return this;
        }

        /** See {@link SamplingParams#topP()}. */
        public Builder topP(float v) {
            topP = v;
            return this;
        }

        /** See {@link SamplingParams#minP()}. */
        public Builder minP(float v) {
            minP = v;
            return this;
        }

        /** See {@link SamplingParams#repetitionPenalty()}. */
        public Builder repetitionPenalty(float v) {
            repetitionPenalty = v;
            return this;
        }

        /** See {@link SamplingParams#presencePenalty()}. */
        public Builder presencePenalty(float v) {
            presencePenalty = v;
            return this;
        }

        /** See {@link SamplingParams#frequencyPenalty()}. */
        public Builder frequencyPenalty(float v) {
            frequencyPenalty = v;
            return this;
        }

        /** See {@link SamplingParams#penaltyLastN()}. */
        public Builder penaltyLastN(int v) {
            penaltyLastN = v;
            return this;
        }

        /** Replaces the whole bias map. See {@link SamplingParams#logitBias()}. */
        public Builder logitBias(Map<Integer, Float> v) {
            logitBias = v == null ? null : new HashMap<>(v);
            return this;
        }

        /** Adds (or replaces) the bias of one token. */
        public Builder bias(int tokenId, float v) {
            if (logitBias == null) {
                logitBias = new HashMap<>();
            }
            logitBias.put(tokenId, v);
            return this;
        }

        /** See {@link SamplingParams#seed()}. */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** Validates and returns the parameters. */
        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                    frequencyPenalty, penaltyLastN, logitBias, seed);
        }
    }
}
