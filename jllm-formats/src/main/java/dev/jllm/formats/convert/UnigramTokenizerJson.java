package dev.jllm.formats.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.tokenizer.TokenType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece Unigram vocabularies (T5) both ways between a Hugging Face {@code tokenizer.json} and llama.cpp's
 * {@code t5} GGUF metadata: pieces with their scores, the precompiled character map of the normalizer, the
 * Metaspace word prefix ({@code add_space_prefix}), the collapsing of space runs ({@code remove_extra_whitespaces},
 * written as a Replace normalizer; read from that or from a WhitespaceSplit pre-tokenizer), no BOS and {@code </s>}
 * appended, as T5's files have them.
 */
final class UnigramTokenizerJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String SPACE = "\u2581";

    private UnigramTokenizerJson() {
    }

    /** The GGUF metadata of a {@code tokenizer.json} whose model is Unigram. */
    static Map<String, GgufValue> toGguf(Path file, JsonNode root, HfTokenizerConfig cfg) throws FormatException {
        JsonNode model = root.path("model");
        JsonNode vocab = model.path("vocab");
        List<String> tokens = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        for (int i = 0; i < vocab.size(); i++) {
            JsonNode e = vocab.get(i);
            if (!e.isArray() || e.size() != 2 || !e.get(0).isTextual() || !e.get(1).isNumber()) {
                throw new FormatException(file, -1, "model.vocab[" + i + "]", "expected [piece, score]");
            }
            tokens.add(e.get(0).asText());
            scores.add((float) e.get(1).asDouble());
        }
        if (tokens.isEmpty()) {
            throw new FormatException(file, -1, "model.vocab", "empty vocabulary");
        }
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            types.add(TokenType.NORMAL.code());
        }
        int unk = model.path("unk_id").asInt(-1);
        for (JsonNode a : root.path("added_tokens")) {
            int id = a.path("id").asInt(-1);
            if (id < 0 || id >= 2 * tokens.size() + 1024 || !a.path("content").isTextual()) {
                throw new FormatException(file, -1, "added_tokens", "entry without a usable id or content");
            }
            while (tokens.size() <= id) {
                tokens.add("[PAD" + tokens.size() + "]");
                scores.add(-10000f);
                types.add(TokenType.UNUSED.code());
            }
            tokens.set(id, a.path("content").asText());
            types.set(id, (a.path("special").asBoolean(false) ? TokenType.CONTROL : TokenType.USER_DEFINED).code());
        }
        if (unk >= 0 && unk < tokens.size()) {
            types.set(unk, TokenType.UNKNOWN.code());
        }
        JsonNode normalizer = root.path("normalizer");
        JsonNode pre = root.path("pre_tokenizer");
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.string("t5"));
        m.put("tokenizer.ggml.pre", GgufValue.string("default"));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        m.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        JsonNode meta = find(pre, "Metaspace");
        boolean prefix = meta != null && !meta.path("prepend_scheme").asText("always").equals("never")
                && meta.path("add_prefix_space").asBoolean(true);
        m.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(prefix));
        m.put("tokenizer.ggml.remove_extra_whitespaces", GgufValue.bool(find(pre, "WhitespaceSplit") != null
                || find(normalizer, "Replace") != null));
        JsonNode pc = find(normalizer, "Precompiled");
        if (pc != null && pc.path("precompiled_charsmap").isTextual()) {
            byte[] map;
            try {
                map = Base64.getDecoder().decode(pc.path("precompiled_charsmap").asText());
            } catch (IllegalArgumentException e) {
                throw new FormatException(file, -1, "normalizer.precompiled_charsmap", "not base64: " + e.getMessage());
            }
            List<Integer> bytes = new ArrayList<>(map.length);
            for (byte b : map) {
                bytes.add(b & 0xFF);
            }
            m.put("tokenizer.ggml.precompiled_charsmap", GgufValue.array(GgufValueType.UINT8, bytes));
        }
        if (unk >= 0 && unk < tokens.size()) {
            m.put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(unk));
        }
        // T5's defaults: </s> ends, <pad> pads (and starts the decoder)
        SpecialVocabulary.put(m, cfg, tokens, Map.of("eos_token", "</s>", "pad_token", "<pad>"));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(false));
        m.put("tokenizer.ggml.add_eos_token", GgufValue.bool(true));
        return m;
    }

    /** The {@code tokenizer.json} and {@code tokenizer_config.json} of a {@code t5} GGUF vocabulary. */
    static GgufToTokenizerJson.Documents toJson(GgufFile g, List<String> tokens, List<Integer> types, String eos,
            String unk, String pad) throws FormatException {
        List<?> scores = g.has("tokenizer.ggml.scores") ? g.getList("tokenizer.ggml.scores") : List.of();
        ObjectNode root = F.objectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < tokens.size(); id++) {
            int t = types.get(id);
            if (t == TokenType.CONTROL.code() || t == TokenType.UNKNOWN.code() || t == TokenType.USER_DEFINED.code()) {
                added.addObject().put("id", id).put("content", tokens.get(id)).put("single_word", false)
                        .put("lstrip", false).put("rstrip", false).put("normalized", t == TokenType.USER_DEFINED.code())
                        .put("special", t != TokenType.USER_DEFINED.code());
            }
        }
        ArrayNode normalizers = F.arrayNode();
        if (g.has("tokenizer.ggml.precompiled_charsmap")) {
            List<?> map = g.getList("tokenizer.ggml.precompiled_charsmap");
            byte[] bytes = new byte[map.size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = ((Number) map.get(i)).byteValue();
            }
            normalizers.addObject().put("type", "Precompiled").put("precompiled_charsmap",
                    Base64.getEncoder().encodeToString(bytes));
        }
        boolean collapse = !g.has("tokenizer.ggml.remove_extra_whitespaces")
                || g.getBoolean("tokenizer.ggml.remove_extra_whitespaces");
        if (collapse) {
            ObjectNode r = normalizers.addObject().put("type", "Replace");
            r.putObject("pattern").put("Regex", " {2,}");
            r.put("content", " ");
        }
        root.set("normalizer", F.objectNode().put("type", "Sequence").set("normalizers", normalizers));
        boolean prefix = !g.has("tokenizer.ggml.add_space_prefix") || g.getBoolean("tokenizer.ggml.add_space_prefix");
        ObjectNode metaspace = F.objectNode().put("type", "Metaspace").put("replacement", SPACE)
                .put("prepend_scheme", prefix ? "always" : "never").put("split", true);
        // no WhitespaceSplit (T5's own files have one): it would drop tabs and newlines that SentencePiece keeps
        root.set("pre_tokenizer", metaspace);
        boolean addEos = !g.has("tokenizer.ggml.add_eos_token") || g.getBoolean("tokenizer.ggml.add_eos_token");
        if (addEos && eos != null) {
            ObjectNode t = F.objectNode().put("type", "TemplateProcessing");
            ArrayNode single = t.putArray("single");
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            single.addObject().putObject("SpecialToken").put("id", eos).put("type_id", 0);
            ObjectNode e = t.putObject("special_tokens").putObject(eos).put("id", eos);
            e.putArray("ids").add(tokens.indexOf(eos));
            e.putArray("tokens").add(eos);
            root.set("post_processor", t);
        } else {
            root.putNull("post_processor");
        }
        root.set("decoder", metaspace.deepCopy());
        ObjectNode m = root.putObject("model").put("type", "Unigram");
        long unkId = g.findLong("tokenizer.ggml.unknown_token_id").orElse(-1);
        if (unkId >= 0) {
            m.put("unk_id", unkId);
        } else {
            m.putNull("unk_id");
        }
        ArrayNode vocab = m.putArray("vocab");
        for (int id = 0; id < tokens.size(); id++) {
            vocab.addArray().add(tokens.get(id)).add(id < scores.size() ? ((Number) scores.get(id)).floatValue() : 0f);
        }
        m.put("byte_fallback", false);
        ObjectNode config = F.objectNode();
        config.put("add_bos_token", false);
        config.put("add_eos_token", addEos);
        if (eos != null) {
            config.put("eos_token", eos);
        }
        if (unk != null) {
            config.put("unk_token", unk);
        }
        if (pad != null) {
            config.put("pad_token", pad);
        }
        config.put("tokenizer_class", "T5TokenizerFast");
        return new GgufToTokenizerJson.Documents(root, config);
    }

    private static JsonNode find(JsonNode node, String type) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (type.equals(node.path("type").asText())) {
            return node;
        }
        for (String key : new String[] {"pretokenizers", "normalizers"}) {
            for (JsonNode child : node.path(key)) {
                JsonNode f = find(child, type);
                if (f != null) {
                    return f;
                }
            }
        }
        return null;
    }
}
