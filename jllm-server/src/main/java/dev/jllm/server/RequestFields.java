package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;

/** Typed reads of optional request fields, each refusing a wrong type or range with the field's name. */
final class RequestFields {
    private RequestFields() {
    }

    /** Whether the field is absent or JSON null (OpenAI treats both as "not given"). */
    static boolean absent(JsonNode body, String name) {
        JsonNode v = body.get(name);
        return v == null || v.isNull();
    }

    static double number(JsonNode body, String name, double fallback, double min, double max) {
        if (absent(body, name)) {
            return fallback;
        }
        JsonNode v = body.get(name);
        if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < min || v.asDouble() > max) {
            throw ApiException.invalid(name, "'" + name + "' must be a number from " + format(min) + " to "
                    + format(max) + ", got " + v);
        }
        return v.asDouble();
    }

    static long integer(JsonNode body, String name, long fallback, long min, long max) {
        if (absent(body, name)) {
            return fallback;
        }
        JsonNode v = body.get(name);
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw ApiException.invalid(name, "'" + name + "' must be an integer from " + min + " to " + max
                    + ", got " + v);
        }
        return v.asLong();
    }

    static boolean bool(JsonNode body, String name, boolean fallback) {
        if (absent(body, name)) {
            return fallback;
        }
        JsonNode v = body.get(name);
        if (!v.isBoolean()) {
            throw ApiException.invalid(name, "'" + name + "' must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    static String text(JsonNode body, String name) {
        if (absent(body, name)) {
            return null;
        }
        JsonNode v = body.get(name);
        if (!v.isTextual()) {
            throw ApiException.invalid(name, "'" + name + "' must be a string, got " + v.getNodeType());
        }
        return v.asText();
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
