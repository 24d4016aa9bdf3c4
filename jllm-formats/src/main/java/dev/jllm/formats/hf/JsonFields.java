package dev.jllm.formats.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of the fields of one JSON object from a Hugging Face configuration file. A field that
 * is missing or JSON {@code null} reads as {@code null}; a field of the wrong type is a
 * {@link FormatException} naming the file and the field.
 */
final class JsonFields {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path file;
    private final String prefix;
    private final JsonNode object;

    JsonFields(Path file, String prefix, JsonNode object) {
        this.file = file;
        this.prefix = prefix;
        this.object = object;
    }

    /** Parses {@code file}, which must hold one JSON object. */
    static JsonFields read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new FormatException(file, e.getLocation() == null ? -1 : e.getLocation().getByteOffset(), "",
                    "invalid JSON: " + e.getOriginalMessage());
        }
        return of(file, root);
    }

    /** Wraps an already parsed document, which must be a JSON object. */
    static JsonFields of(Path file, JsonNode root) throws FormatException {
        if (root == null || !root.isObject()) {
            throw new FormatException(file, -1, "", "expected a JSON object at the top level, found "
                    + (root == null ? "nothing" : root.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
        return new JsonFields(file, "", root);
    }

    /** The object itself. */
    JsonNode node() {
        return object;
    }

    /** The path of a field for messages, e.g. {@code rope_scaling.factor}. */
    String name(String field) {
        return prefix + field;
    }

    private JsonNode get(String field) {
        JsonNode v = object.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private FormatException wrong(String field, String expected, JsonNode v) {
        String shown = v.toString();
        if (shown.length() > 60) {
            shown = shown.substring(0, 57) + "...";
        }
        return new FormatException(file, -1, name(field), "expected " + expected + ", found " + shown);
    }

    /** An integer field; integral floats like {@code 4096.0} are accepted, fractions and strings are not. */
    Integer integer(String field) throws FormatException {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return v.intValue();
        }
        if (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue())
                && Math.abs(v.doubleValue()) <= Integer.MAX_VALUE) {
            return (int) v.doubleValue();
        }
        throw wrong(field, "an integer", v);
    }

    /** An integer field that may exceed 64 bits (such as {@code model_max_length} = 1e30), clamped to {@link Long#MAX_VALUE}. */
    Long saturatedLong(String field) throws FormatException {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (v.isIntegralNumber()) {
            BigInteger b = v.bigIntegerValue();
            return b.bitLength() < 64 ? b.longValue() : (b.signum() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE);
        }
        if (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue())) {
            double d = v.doubleValue();
            return d >= 0x1p63 ? Long.MAX_VALUE : d <= -0x1p63 ? Long.MIN_VALUE : (long) d;
        }
        throw wrong(field, "an integer", v);
    }

    /** A number field. */
    Double number(String field) throws FormatException {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        throw wrong(field, "a number", v);
    }

    /** A boolean field. */
    Boolean bool(String field) throws FormatException {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        throw wrong(field, "true or false", v);
    }

    /** A string field. */
    String string(String field) throws FormatException {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        throw wrong(field, "a string", v);
    }

    /** A list of strings, or one string read as a list of one. */
    List<String> strings(String field) throws FormatException {
        JsonNode v = get(field);
        if (v == null) {
            return List.of();
        }
        if (v.isTextual()) {
            return List.of(v.textValue());
        }
        if (!v.isArray()) {
            throw wrong(field, "a list of strings", v);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw wrong(field, "a list of strings", v);
            }
            out.add(e.textValue());
        }
        return List.copyOf(out);
    }

    /** Token ids written either as one integer or as a list of integers (e.g. {@code eos_token_id}). */
    List<Integer> ids(String field) throws FormatException {
        JsonNode v = get(field);
        if (v == null) {
            return List.of();
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return List.of(v.intValue());
        }
        if (!v.isArray()) {
            throw wrong(field, "a token id or a list of token ids", v);
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw wrong(field, "a token id or a list of token ids", v);
            }
            out.add(e.intValue());
        }
        return List.copyOf(out);
    }

    /** A nested object, or {@code null} when absent. */
    JsonFields object(String field) throws FormatException {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            throw wrong(field, "an object", v);
        }
        return new JsonFields(file, name(field) + ".", v);
    }

    /** The raw value of a field, or {@code null} when absent or JSON null. */
    JsonNode raw(String field) {
        return get(field);
    }

    /** A {@link FormatException} for a field whose value has the right type but an impossible value. */
    FormatException invalid(String field, String problem) {
        return new FormatException(file, -1, name(field), problem);
    }

    /** The file being read. */
    Path file() {
        return file;
    }
}
