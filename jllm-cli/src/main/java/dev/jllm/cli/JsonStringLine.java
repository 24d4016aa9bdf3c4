package dev.jllm.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Locale;

/** One line of a {@code --jsonl} input: a JSON string, anything else refused naming the line and its source. */
final class JsonStringLine {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonStringLine() {
    }

    /**
     * The text of the JSON string on {@code line}.
     *
     * @param number the line's number (1-based), for the message
     * @param source where the line came from (a file name or "stdin"), for the message
     * @throws IllegalArgumentException if the line is not one JSON string
     */
    static String parse(String line, long number, String source) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("line " + number + " of " + source + ": invalid JSON: "
                    + e.getOriginalMessage());
        }
        if (node == null || node.isMissingNode() || !node.isTextual()) {
            String found = node == null || node.isMissingNode() ? "an empty line"
                    : node.getNodeType().name().toLowerCase(Locale.ROOT);
            throw new IllegalArgumentException("line " + number + " of " + source + ": expected a JSON string, found "
                    + found);
        }
        return node.textValue();
    }
}
