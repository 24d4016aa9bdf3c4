package dev.jllm.formats.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The pieces of {@code tokenizer.json} that name a byte-level BPE's pre-tokenizer, and llama.cpp's names
 * for them ({@code tokenizer.ggml.pre}). Only the splits this project knows by name map both ways:
 * GPT-2's built-in ByteLevel regex ({@code gpt-2}), Llama 3's ({@code llama-bpe}) and Qwen2's ({@code qwen2}).
 */
final class HfTokenizerJsonShapes {
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private HfTokenizerJsonShapes() {
    }

    /** Whether {@code node} or one of its nested sequence members has {@code "type": type}. */
    static boolean containsType(JsonNode node, String type) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return false;
        }
        if (type.equals(node.path("type").asText())) {
            return true;
        }
        for (String key : new String[] {"pretokenizers", "normalizers", "decoders", "processors"}) {
            for (JsonNode child : node.path(key)) {
                if (containsType(child, type)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** llama.cpp's pre-tokenizer name for a byte-level {@code pre_tokenizer}, {@code default} when unknown. */
    static String preName(JsonNode pre) {
        String regex = splitRegex(pre);
        if (regex == null) {
            return "gpt-2";
        }
        if (regex.equals(LLAMA3_REGEX)) {
            return "llama-bpe";
        }
        if (regex.equals(QWEN2_REGEX)) {
            return "qwen2";
        }
        return "default";
    }

    private static String splitRegex(JsonNode pre) {
        if (pre == null || pre.isMissingNode() || pre.isNull()) {
            return null;
        }
        if (pre.path("type").asText().equals("Split") && pre.path("pattern").has("Regex")) {
            return pre.path("pattern").path("Regex").asText();
        }
        for (JsonNode p : pre.path("pretokenizers")) {
            String r = splitRegex(p);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /** The byte-level {@code pre_tokenizer} for llama.cpp's name {@code pre}. */
    static ObjectNode byteLevelPreTokenizer(String pre) {
        String regex = switch (pre) {
            case "llama-bpe", "llama3" -> LLAMA3_REGEX;
            case "qwen2" -> QWEN2_REGEX;
            default -> null;
        };
        if (regex == null) {
            return byteLevel(true);
        }
        ObjectNode split = F.objectNode().put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated").put("invert", false);
        ObjectNode seq = F.objectNode().put("type", "Sequence");
        seq.putArray("pretokenizers").add(split).add(byteLevel(false));
        return seq;
    }

    static ObjectNode byteLevel(boolean useRegex) {
        return F.objectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", useRegex);
    }
}
