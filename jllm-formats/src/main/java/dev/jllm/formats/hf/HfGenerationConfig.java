package dev.jllm.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A Hugging Face {@code generation_config.json}: the sampling defaults the model ships with. A field is
 * null (or an empty list) when absent; every other field stays readable in {@link #raw()}.
 *
 * @param file the file read
 * @param bosTokenIds {@code bos_token_id}, one id or a list
 * @param eosTokenIds {@code eos_token_id}, one id or a list (generation stops at any of them)
 * @param padTokenId {@code pad_token_id}
 * @param doSample {@code do_sample}
 * @param temperature {@code temperature}
 * @param topP {@code top_p}
 * @param topK {@code top_k}
 * @param minP {@code min_p}
 * @param repetitionPenalty {@code repetition_penalty}
 * @param maxLength {@code max_length} (prompt included)
 * @param maxNewTokens {@code max_new_tokens}
 * @param raw the whole document
 */
public record HfGenerationConfig(Path file, List<Integer> bosTokenIds, List<Integer> eosTokenIds, Integer padTokenId,
        Boolean doSample, Double temperature, Double topP, Integer topK, Double minP, Double repetitionPenalty,
        Integer maxLength, Integer maxNewTokens, JsonNode raw) {

    /**
     * Reads a {@code generation_config.json}.
     *
     * @throws FormatException naming the file and the field when the JSON is malformed, a field has the
     *     wrong type, or a sampling value is out of range
     */
    public static HfGenerationConfig read(Path file) throws IOException {
        return parse(JsonFields.read(file));
    }

    /** Reads an already parsed document; {@code file} only names it in errors. */
    public static HfGenerationConfig of(Path file, JsonNode root) throws FormatException {
        return parse(JsonFields.of(file, root));
    }

    private static HfGenerationConfig parse(JsonFields f) throws FormatException {
        HfGenerationConfig g = new HfGenerationConfig(f.file(), f.ids("bos_token_id"), f.ids("eos_token_id"),
                f.integer("pad_token_id"), f.bool("do_sample"), f.number("temperature"), f.number("top_p"),
                f.integer("top_k"), f.number("min_p"), f.number("repetition_penalty"), f.integer("max_length"),
                f.integer("max_new_tokens"), f.node());
        if (g.temperature != null && g.temperature < 0) {
            throw f.invalid("temperature", "must not be negative, is " + g.temperature);
        }
        if (g.topP != null && (g.topP < 0 || g.topP > 1)) {
            throw f.invalid("top_p", "must lie in [0, 1], is " + g.topP);
        }
        if (g.minP != null && (g.minP < 0 || g.minP > 1)) {
            throw f.invalid("min_p", "must lie in [0, 1], is " + g.minP);
        }
        if (g.topK != null && g.topK < 0) {
            throw f.invalid("top_k", "must not be negative, is " + g.topK);
        }
        if (g.repetitionPenalty != null && g.repetitionPenalty <= 0) {
            throw f.invalid("repetition_penalty", "must be positive, is " + g.repetitionPenalty);
        }
        if (g.maxLength != null && g.maxLength <= 0) {
            throw f.invalid("max_length", "must be positive, is " + g.maxLength);
        }
        if (g.maxNewTokens != null && g.maxNewTokens <= 0) {
            throw f.invalid("max_new_tokens", "must be positive, is " + g.maxNewTokens);
        }
        return g;
    }
}
