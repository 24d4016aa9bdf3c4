package dev.jllm.runtime.seq2seq;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.tokenizer.StreamingDecoder;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.t5.EncodedInput;
import dev.jllm.model.t5.T5Model;
import dev.jllm.runtime.Generator;
import dev.jllm.runtime.sampling.Sampler;
import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.stop.StopConditions;
import dev.jllm.runtime.stop.StopReason;
import dev.jllm.runtime.stop.StopTokens;
import java.util.Arrays;
import java.util.List;

/**
 * Text-to-text generation with an encoder-decoder ({@link T5Model}): the input is encoded once (its
 * cross-attention keys and values with it), then the decoder runs one token at a time from the model's
 * decoder start token, its self-attention keys and values in a cache, and each next token is picked by a
 * {@link Sampler} until a {@link StopConditions} ends the generation or the decoder cache is full.
 *
 * <p>Penalties see the generated tokens only (the input is another sequence). Not thread-safe: the model
 * keeps scratch buffers, so one generator per model and thread.
 */
public final class Seq2SeqGenerator {
    private final T5Model model;
    private final DType cacheType;
    private final int maxDecoderLength;

    /**
     * A generator over {@code model}.
     *
     * @param cacheType F32, F16 or Q8_0, for the self- and cross-attention caches
     * @param maxDecoderLength the most decoder positions (the start token included) a generation may use
     * @throws IllegalArgumentException if the length is not positive or the cache type is not a cache type
     */
    public Seq2SeqGenerator(T5Model model, DType cacheType, int maxDecoderLength) {
        if (maxDecoderLength <= 0) {
            throw new IllegalArgumentException("decoder length must be positive, got " + maxDecoderLength);
        }
        if (!KvCache.TYPES.contains(cacheType)) {
            throw new IllegalArgumentException("cache type " + cacheType + " is not supported; choose one of f32, f16, q8_0");
        }
        this.model = model;
        this.cacheType = cacheType;
        this.maxDecoderLength = maxDecoderLength;
    }

    /** What a generation streams as it goes. */
    public interface Listener {
        /** Text that became visible (stop strings held back until they cannot match). */
        default void text(String piece) {
        }

        /** Each generated token, as soon as it is chosen (an end token included). */
        default void token(int id) {
        }
    }

    /**
     * What one generation produced.
     *
     * @param tokens the generated ids (the end token that stopped it included)
     * @param text the visible text (empty without a tokenizer)
     * @param finishReason why it ended
     * @param timings the encoder's tokens as prefill, the decoder's steps as decode
     */
    public record Result(int[] tokens, String text, StopReason finishReason, Generator.Timings timings) {
    }

    /**
     * Encodes {@code input} and generates from it.
     *
     * @param tokenizer decodes the tokens to text for the listener and the stop strings; null for ids only
     * @param maxTokens most tokens to generate, or -1 until an end token or the decoder length
     * @throws IllegalArgumentException if the input is empty, a token is outside the vocabulary, or a
     *     stop condition is invalid
     */
    public Result generate(int[] input, SamplingParams params, StopTokens endTokens, List<String> stopStrings,
            int maxTokens, Tokenizer tokenizer, Listener listener) {
        if (input.length == 0) {
            throw new IllegalArgumentException("the input is empty");
        }
        StopConditions stop = new StopConditions(endTokens, stopStrings, maxTokens);
        Sampler sampler = new Sampler(params, model.config().vocabSize());
        StreamingDecoder decoder = tokenizer == null ? null : tokenizer.streamingDecoder();
        StringBuilder shown = new StringBuilder();
        float[] logits = new float[model.config().vocabSize()];
        int[] sequence = new int[maxDecoderLength + 1];
        sequence[0] = model.config().decoderStartId();
        int length = 1;
        long start = System.nanoTime();
        long encodeNanos;
        long decodeNanos = 0;
        StopReason reason = null;
        try (EncodedInput encoded = model.encodeForDecoding(input, cacheType);
                KvCache cache = model.newDecoderCache(cacheType, maxDecoderLength)) {
            encodeNanos = System.nanoTime() - start;
            while (reason == null) {
                if (stop.limitReached() || length > maxDecoderLength) {
                    reason = emit(stop.endForLength(), listener, shown);
                    break;
                }
                long step = System.nanoTime();
                model.decode(sequence, length - 1, 1, length - 1, cache, encoded, logits, false);
                decodeNanos += System.nanoTime() - step;
                int token = sampler.sample(logits);
                sampler.accept(token);
                sequence[length++] = token;
                listener.token(token);
                String piece = decoder == null ? "" : decoder.next(token);
                reason = emit(stop.accept(token, piece), listener, shown);
            }
        }
        if (decoder != null && reason == StopReason.LENGTH) {
            String rest = decoder.finish();
            if (!rest.isEmpty()) {
                listener.text(rest);
                shown.append(rest);
            }
        }
        return new Result(Arrays.copyOfRange(sequence, 1, length), shown.toString(), reason,
                new Generator.Timings(input.length, encodeNanos, length - 1, decodeNanos));
    }

    private static StopReason emit(StopConditions.Step step, Listener listener, StringBuilder shown) {
        if (!step.text().isEmpty()) {
            listener.text(step.text());
            shown.append(step.text());
        }
        return step.reason();
    }
}
