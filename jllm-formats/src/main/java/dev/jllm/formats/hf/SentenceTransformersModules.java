package dev.jllm.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The pooling and normalisation that a sentence-transformers folder's {@code modules.json} lists (its
 * Pooling module's {@code config.json}, and whether a Normalize module follows): mean pooling and no
 * normalisation when the folder has none.
 *
 * @param pooling how token states become one vector
 * @param normalizes whether the vector is L2-normalised
 */
public record SentenceTransformersModules(Mode pooling, boolean normalizes) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The pooling modes jllm reads from a Pooling module's config. */
    public enum Mode {
        /** {@code pooling_mode_mean_tokens}, the default. */
        MEAN,
        /** {@code pooling_mode_cls_token}. */
        CLS,
        /** {@code pooling_mode_lasttoken}. */
        LAST
    }

    /**
     * Reads {@code folder}'s modules.
     *
     * @throws FormatException naming a file that is not valid JSON, or a pooling mode other than mean, CLS
     *     and last token (max pooling, weighted mean...)
     */
    public static SentenceTransformersModules read(Path folder) throws FormatException {
        Path modulesFile = folder.resolve("modules.json");
        if (!Files.isRegularFile(modulesFile)) {
            return new SentenceTransformersModules(Mode.MEAN, false);
        }
        Mode pooling = Mode.MEAN;
        boolean normalizes = false;
        for (JsonNode module : json(modulesFile)) {
            String type = module.path("type").asText("");
            if (type.endsWith(".Normalize")) {
                normalizes = true;
            } else if (type.endsWith(".Pooling")) {
                Path poolingFile = folder.resolve(module.path("path").asText("")).resolve("config.json");
                if (Files.isRegularFile(poolingFile)) {
                    pooling = mode(poolingFile, json(poolingFile));
                }
            }
        }
        return new SentenceTransformersModules(pooling, normalizes);
    }

    private static Mode mode(Path file, JsonNode p) throws FormatException {
        if (p.path("pooling_mode_cls_token").asBoolean(false)) {
            return Mode.CLS;
        }
        if (p.path("pooling_mode_lasttoken").asBoolean(false)) {
            return Mode.LAST;
        }
        if (p.path("pooling_mode_mean_tokens").asBoolean(false)) {
            return Mode.MEAN;
        }
        throw new FormatException(file, -1, "pooling_mode_*", "only mean, CLS and last-token pooling are supported");
    }

    private static JsonNode json(Path file) throws FormatException {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new FormatException(file, -1, "", "not valid JSON: " + e.getMessage());
        }
    }
}
