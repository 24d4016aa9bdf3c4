package dev.jllm.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.formats.FormatException;

/**
 * The {@code rope_scaling} object of a {@code config.json}.
 *
 * @param type {@code rope_type} or, in older files, {@code type} (e.g. {@code llama3}, {@code linear}, {@code yarn}, {@code dynamic})
 * @param factor scaling factor, or null
 * @param lowFreqFactor Llama 3 low-frequency factor, or null
 * @param highFreqFactor Llama 3 high-frequency factor, or null
 * @param originalMaxPositionEmbeddings context length the model was trained with before scaling, or null
 * @param raw the whole object, for fields of other scaling types (e.g. YaRN's {@code beta_fast})
 */
public record HfRopeScaling(String type, Double factor, Double lowFreqFactor, Double highFreqFactor,
        Integer originalMaxPositionEmbeddings, JsonNode raw) {

    static HfRopeScaling read(JsonFields f) throws FormatException {
        String type = f.string("rope_type");
        if (type == null) {
            type = f.string("type");
        }
        return new HfRopeScaling(type, f.number("factor"), f.number("low_freq_factor"), f.number("high_freq_factor"),
                f.integer("original_max_position_embeddings"), f.node());
    }
}
