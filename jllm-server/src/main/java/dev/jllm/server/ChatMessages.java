package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code messages} of a chat request as the chat template sees them: maps of role, content (the
 * text parts of a multi-part content joined) and name.
 */
final class ChatMessages {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private ChatMessages() {
    }

    static List<Map<String, Object>> read(JsonNode body) {
        JsonNode list = body.get("messages");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw ApiException.invalid("messages", "'messages' must be a non-empty array");
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.invalid(where, "'" + where + "' must be an object");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw ApiException.invalid(where + ".role", "'" + where + ".role' must be one of " + String.join(", ",
                        new java.util.TreeSet<>(ROLES)));
            }
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", role.asText());
            message.put("content", content(m.get("content"), where + ".content"));
            JsonNode name = m.get("name");
            if (name != null && name.isTextual()) {
                message.put("name", name.asText());
            }
            messages.add(message);
        }
        return messages;
    }

    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                JsonNode type = part.get("type");
                JsonNode value = part.get("text");
                if (type == null || !"text".equals(type.asText()) || value == null || !value.isTextual()) {
                    throw ApiException.invalid(where, "'" + where + "' parts must be {\"type\": \"text\", \"text\": "
                            + "...}; this model reads text only");
                }
                text.append(value.asText());
            }
            return text.toString();
        }
        throw ApiException.invalid(where, "'" + where + "' must be a string or an array of text parts");
    }
}
