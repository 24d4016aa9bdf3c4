package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code POST /v1/embeddings}: one vector per input (a string, token ids, or an array of either), as
 * floats or as base64 of little-endian float32, with usage. Requests take turns on the encoder: its
 * worker pool serves one caller at a time.
 */
final class EmbeddingsEndpoint {
    /** OpenAI's limit on inputs per request. */
    static final int MAX_INPUTS = 2048;
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final ServedEmbeddings served;
    private final ReentrantLock turn = new ReentrantLock(true);

    EmbeddingsEndpoint(ServedEmbeddings served) {
        this.served = served;
    }

    String id() {
        return served.id();
    }

    ObjectNode answer(JsonNode body) {
        String format = RequestFields.text(body, "encoding_format");
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw ApiException.invalid("encoding_format", "'encoding_format' must be \"float\" or \"base64\"");
        }
        long dimensions = RequestFields.integer(body, "dimensions", served.embedder().dimension(), 1, Integer.MAX_VALUE);
        if (dimensions != served.embedder().dimension()) {
            throw ApiException.invalid("dimensions", "this model's embeddings have " + served.embedder().dimension()
                    + " dimensions; it cannot shorten them to " + dimensions);
        }
        List<int[]> inputs = inputs(body.get("input"));
        long tokens = 0;
        for (int[] ids : inputs) {
            tokens += served.embedder().truncate(ids).length;
        }
        float[][] vectors;
        turn.lock();
        try {
            vectors = served.embedder().embedIds(inputs);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("input", e.getMessage());
        } finally {
            turn.unlock();
        }
        ObjectNode out = F.objectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < vectors.length; i++) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if ("base64".equals(format)) {
                ByteBuffer bytes = ByteBuffer.allocate(4 * vectors[i].length).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : vectors[i]) {
                    bytes.putFloat(v);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float v : vectors[i]) {
                    values.add(v);
                }
            }
        }
        out.put("model", served.id());
        out.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return out;
    }

    /** The inputs as token sequences (texts tokenized as the model's own inputs, special tokens included). */
    private List<int[]> inputs(JsonNode input) {
        if (input == null || input.isNull()) {
            throw ApiException.invalid("input", "'input' is required");
        }
        List<int[]> out = new ArrayList<>();
        if (input.isTextual()) {
            out.add(served.embedder().tokenize(input.asText()));
            return out;
        }
        if (!input.isArray() || input.isEmpty() || input.size() > MAX_INPUTS) {
            throw ApiException.invalid("input", "'input' must be a string, token ids, or an array of 1 to "
                    + MAX_INPUTS + " of them");
        }
        if (input.get(0).isIntegralNumber()) {
            out.add(ids(input, "input"));
            return out;
        }
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (item.isTextual()) {
                out.add(served.embedder().tokenize(item.asText()));
            } else if (item.isArray() && !item.isEmpty()) {
                out.add(ids(item, "input[" + i + "]"));
            } else {
                throw ApiException.invalid("input", "'input[" + i + "]' must be a string or non-empty token ids");
            }
        }
        return out;
    }

    private static int[] ids(JsonNode array, String where) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = array.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
                throw ApiException.invalid("input", "'" + where + "[" + i + "]' must be a token id, got " + v);
            }
            ids[i] = v.asInt();
        }
        return ids;
    }
}
