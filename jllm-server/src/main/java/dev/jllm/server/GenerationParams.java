package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.runtime.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The generation fields shared by {@code /v1/chat/completions} and {@code /v1/completions}, read and
 * checked: sampling (temperature, top_p, the penalties, logit_bias, seed, and llama.cpp's top_k and
 * min_p), limits (max_tokens / max_completion_tokens, stop), choices (n), log-probabilities and
 * streaming.
 *
 * @param sampling the sampling of choice 0; choice i uses seed + i, so choices differ but repeat
 * @param maxTokens most tokens per choice, -1 for up to the context
 * @param topLogprobs -1 for no log-probabilities, else how many alternatives per token
 */
record GenerationParams(SamplingParams sampling, int n, int maxTokens, List<String> stop, int topLogprobs,
        boolean stream, boolean includeUsage) {
    static final int MAX_CHOICES = 16;
    static final int MAX_STOP_STRINGS = 16;

    /** Sampling for choice {@code index}. */
    SamplingParams samplingFor(int index) {
        return index == 0 ? sampling : sampling.toBuilder().seed(sampling.seed() + index).build();
    }

    /**
     * Reads the fields of a request body.
     *
     * @param chat true for chat completions (logprobs is a boolean with top_logprobs beside it; the
     *     token limit has no default), false for text completions (logprobs is a count; 16 tokens by
     *     default, as OpenAI's legacy endpoint)
     * @param vocab the model's vocabulary size, for logit_bias keys
     */
    static GenerationParams read(JsonNode body, boolean chat, int vocab) {
        float temperature = (float) RequestFields.number(body, "temperature", 1.0, 0, 2);
        float topP = (float) RequestFields.number(body, "top_p", 1.0, 0, 1);
        if (!RequestFields.absent(body, "top_p") && topP == 0) {
            throw ApiException.invalid("top_p", "'top_p' must be greater than 0");
        }
        int topK = (int) RequestFields.integer(body, "top_k", 0, 0, vocab);
        float minP = (float) RequestFields.number(body, "min_p", 0, 0, 1);
        float presence = (float) RequestFields.number(body, "presence_penalty", 0, -2, 2);
        float frequency = (float) RequestFields.number(body, "frequency_penalty", 0, -2, 2);
        float repetition = (float) RequestFields.number(body, "repetition_penalty", 1, 0.01, 10);
        long seed = RequestFields.absent(body, "seed") ? ThreadLocalRandom.current().nextLong()
                : RequestFields.integer(body, "seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
        SamplingParams.Builder b = SamplingParams.builder().temperature(temperature).topP(topP).topK(topK).minP(minP)
                .presencePenalty(presence).frequencyPenalty(frequency).repetitionPenalty(repetition).seed(seed);
        readLogitBias(body, vocab, b);
        int n = (int) RequestFields.integer(body, "n", 1, 1, MAX_CHOICES);
        int maxTokens = readMaxTokens(body, chat);
        List<String> stop = readStop(body);
        int topLogprobs = chat ? readChatLogprobs(body) : (int) RequestFields.integer(body, "logprobs", -1, 0, 5);
        boolean stream = RequestFields.bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw ApiException.invalid("stream_options", "'stream_options' must be an object");
            }
            if (!stream) {
                throw ApiException.invalid("stream_options", "'stream_options' is only allowed with 'stream': true");
            }
            includeUsage = RequestFields.bool(options, "include_usage", false);
        }
        SamplingParams sampling;
        try {
            sampling = b.build();
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
        return new GenerationParams(sampling, n, maxTokens, stop, topLogprobs, stream, includeUsage);
    }

    private static int readMaxTokens(JsonNode body, boolean chat) {
        String name = chat && !RequestFields.absent(body, "max_completion_tokens") ? "max_completion_tokens"
                : "max_tokens";
        long fallback = chat ? -1 : 16;
        return (int) RequestFields.integer(body, name, fallback, 1, Integer.MAX_VALUE);
    }

    private static List<String> readStop(JsonNode body) {
        List<String> stop = new ArrayList<>();
        JsonNode v = body.get("stop");
        if (v == null || v.isNull()) {
            return stop;
        }
        if (v.isTextual()) {
            stop.add(v.asText());
        } else if (v.isArray() && v.size() <= MAX_STOP_STRINGS) {
            for (JsonNode s : v) {
                if (!s.isTextual()) {
                    throw ApiException.invalid("stop", "'stop' must be a string or an array of strings");
                }
                stop.add(s.asText());
            }
        } else {
            throw ApiException.invalid("stop", "'stop' must be a string or an array of at most " + MAX_STOP_STRINGS
                    + " strings");
        }
        for (String s : stop) {
            if (s.isEmpty()) {
                throw ApiException.invalid("stop", "'stop' strings must not be empty");
            }
        }
        return stop;
    }

    private static int readChatLogprobs(JsonNode body) {
        boolean logprobs = RequestFields.bool(body, "logprobs", false);
        int top = (int) RequestFields.integer(body, "top_logprobs", 0, 0, 20);
        if (!logprobs && !RequestFields.absent(body, "top_logprobs")) {
            throw ApiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        }
        return logprobs ? top : -1;
    }

    private static void readLogitBias(JsonNode body, int vocab, SamplingParams.Builder b) {
        JsonNode v = body.get("logit_bias");
        if (v == null || v.isNull()) {
            return;
        }
        if (!v.isObject()) {
            throw ApiException.invalid("logit_bias", "'logit_bias' must be an object of token id to bias");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException x) {
                throw ApiException.invalid("logit_bias", "'logit_bias' keys must be token ids, got \"" + e.getKey() + "\"");
            }
            if (id < 0 || id >= vocab) {
                throw ApiException.invalid("logit_bias", "'logit_bias' token id " + id + " is outside the vocabulary of "
                        + vocab);
            }
            JsonNode bias = e.getValue();
            if (!bias.isNumber() || bias.asDouble() < -100 || bias.asDouble() > 100) {
                throw ApiException.invalid("logit_bias", "'logit_bias' values must be numbers from -100 to 100, got "
                        + bias);
            }
            b.bias(id, (float) bias.asDouble());
        }
    }
}
