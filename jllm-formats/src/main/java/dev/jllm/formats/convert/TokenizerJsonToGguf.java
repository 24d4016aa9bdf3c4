package dev.jllm.formats.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.tokenizer.sentencepiece.SentencePieceModelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a Hugging Face {@code tokenizer.json} (with its optional {@code tokenizer_config.json}) into
 * GGUF {@code tokenizer.ggml.*} metadata. A BPE model with byte fallback (SentencePiece style) becomes
 * {@code model = llama} with tokens, scores and token types; a byte-level BPE becomes {@code model = gpt2}
 * with tokens, token types, merges and a pre-tokenizer name. SentencePiece BPE vocabularies are sorted by
 * score, so each normal token's score is minus its distance from the first normal token (what the
 * SentencePiece trainer writes); byte, control and unknown tokens score 0. Pieces whose
 * scores were set by hand (Llama's -1e9 runs of {@code ▁}) show as tokens the merges never build or build out of
 * order, and get -1e9 back.
 */
final class TokenizerJsonToGguf {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Score of SentencePiece pieces set by hand, the value Llama's tokenizer.model uses. */
    static final float DEMOTED = -1e9f;

    private TokenizerJsonToGguf() {
    }

    /**
     * The {@code tokenizer.*} metadata of {@code tokenizerJson}; {@code config} may be null or absent. Ids
     * below {@code minSize} that no token uses become unused {@code [PADn]} tokens, as llama.cpp pads them.
     */
    static Map<String, GgufValue> convert(Path tokenizerJson, Path config, int minSize) throws IOException {
        JsonNode root = read(tokenizerJson);
        JsonNode cfg = config != null && Files.isRegularFile(config) ? read(config) : null;
        JsonNode model = root.path("model");
        if (!model.path("type").asText("BPE").equals("BPE") || !model.path("vocab").isObject()) {
            throw new FormatException(tokenizerJson, -1, "model.type", "only BPE tokenizers convert to GGUF, not "
                    + model.path("type").asText("(missing)"));
        }
        Map<Integer, String> byId = new java.util.TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            byId.put(e.getValue().asInt(-1), e.getKey());
        }
        Map<Integer, JsonNode> added = new LinkedHashMap<>();
        for (JsonNode a : root.path("added_tokens")) {
            int id = a.path("id").asInt(-1);
            if (id < 0 || !a.path("content").isTextual()) {
                throw new FormatException(tokenizerJson, -1, "added_tokens", "entry without id or content");
            }
            byId.put(id, a.path("content").asText());
            added.put(id, a);
        }
        if (byId.containsKey(-1)) {
            throw new FormatException(tokenizerJson, -1, "model.vocab", "a token id is not a non-negative integer");
        }
        int size = Math.max(minSize, byId.isEmpty() ? 0 : ((java.util.TreeMap<Integer, String>) byId).lastKey() + 1);
        if (size == 0 || size > 16_000_000) {
            throw new FormatException(tokenizerJson, -1, "model.vocab", "vocabulary size " + size + " is out of range");
        }
        boolean byteLevel = HfTokenizerJsonShapes.containsType(root.path("pre_tokenizer"), "ByteLevel")
                || HfTokenizerJsonShapes.containsType(root.path("decoder"), "ByteLevel");
        String unk = model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null;
        List<String> tokens = new ArrayList<>(size);
        List<Integer> types = new ArrayList<>(size);
        List<Float> scores = new ArrayList<>(size);
        int firstNormal = -1;
        for (int id = 0; id < size; id++) {
            String t = byId.get(id);
            int type;
            if (t == null) {
                t = "[PAD" + id + "]";
                type = TokenTypes.UNUSED;
            } else if (added.containsKey(id)) {
                type = t.equals(unk) ? TokenTypes.UNKNOWN
                        : added.get(id).path("special").asBoolean(false) ? TokenTypes.CONTROL : TokenTypes.USER_DEFINED;
            } else if (t.equals(unk)) {
                type = TokenTypes.UNKNOWN;
            } else if (!byteLevel && t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
                type = TokenTypes.BYTE;
            } else {
                type = TokenTypes.NORMAL;
            }
            tokens.add(t);
            types.add(type);
            if (firstNormal < 0 && type == TokenTypes.NORMAL) {
                firstNormal = id;
            }
            scores.add(type == TokenTypes.NORMAL || type == TokenTypes.USER_DEFINED ? -(float) (id - firstNormal) : 0f);
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.string(byteLevel ? "gpt2" : "llama"));
        m.put("tokenizer.ggml.pre", GgufValue.string(byteLevel ? HfTokenizerJsonShapes.preName(root.path("pre_tokenizer")) : "default"));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        if (!byteLevel) {
            demoteUnmerged(scores, tokens, types, merges(model.path("merges"), tokenizerJson));
            m.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        }
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        if (byteLevel) {
            m.put("tokenizer.ggml.merges", GgufValue.array(GgufValueType.STRING, merges(model.path("merges"), tokenizerJson)));
        }
        specialIds(m, root, cfg, tokens, unk);
        chatTemplates(m, cfg);
        return m;
    }

    /**
     * The {@code tokenizer.*} metadata of a SentencePiece BPE {@code tokenizer.model}, with its exact scores and
     * piece types (llama.cpp's first choice for Llama models); flags and chat template come from {@code config}.
     */
    static Map<String, GgufValue> fromSentencePiece(Path modelFile, Path config, int minSize) throws IOException {
        SentencePieceModelFile sp = SentencePieceModelFile.read(modelFile);
        if (sp.modelType() != 2) {
            throw new FormatException(modelFile, -1, "trainer_spec.model_type", "only BPE SentencePiece models (2) convert "
                    + "to a llama vocabulary, not " + sp.modelType());
        }
        JsonNode cfg = config != null && Files.isRegularFile(config) ? read(config) : null;
        int size = Math.max(minSize, sp.pieces().length);
        List<String> tokens = new ArrayList<>(size);
        List<Float> scores = new ArrayList<>(size);
        List<Integer> types = new ArrayList<>(size);
        for (int id = 0; id < size; id++) {
            boolean real = id < sp.pieces().length;
            tokens.add(real ? sp.pieces()[id] : "[PAD" + id + "]");
            scores.add(real ? sp.scores()[id] : 0f);
            types.add(real ? sp.types()[id].ordinal() + 1 : TokenTypes.UNUSED);
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.string("llama"));
        m.put("tokenizer.ggml.pre", GgufValue.string("default"));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        m.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        String[][] ids = {{"bos", "" + sp.bosId()}, {"eos", "" + sp.eosId()}, {"unknown", "" + sp.unkId()}, {"padding", "" + sp.padId()}};
        for (String[] k : ids) {
            int id = Integer.parseInt(k[1]);
            if (id >= 0 && id < size) {
                m.put("tokenizer.ggml." + k[0] + "_token_id", GgufValue.uint32(id));
            }
        }
        for (String flag : new String[] {"add_bos_token", "add_eos_token"}) {
            if (cfg != null && cfg.path(flag).isBoolean()) {
                m.put("tokenizer.ggml." + flag, GgufValue.bool(cfg.path(flag).asBoolean()));
            }
        }
        chatTemplates(m, cfg);
        return m;
    }

    private static void chatTemplates(Map<String, GgufValue> m, JsonNode cfg) {
        if (cfg != null) {
            JsonNode tpl = cfg.path("chat_template");
            if (tpl.isTextual()) {
                m.put("tokenizer.chat_template", GgufValue.string(tpl.asText()));
            } else if (tpl.isArray()) {
                for (JsonNode t : tpl) {
                    String name = t.path("name").asText("");
                    String key = name.equals("default") ? "tokenizer.chat_template" : "tokenizer.chat_template." + name;
                    m.put(key, GgufValue.string(t.path("template").asText()));
                }
            }
        }
    }

    private static void specialIds(Map<String, GgufValue> m, JsonNode root, JsonNode cfg, List<String> tokens, String unk) {
        String[][] keys = {{"bos_token", "bos"}, {"eos_token", "eos"}, {"unk_token", "unknown"}, {"pad_token", "padding"}};
        for (String[] k : keys) {
            String text = cfg == null ? null : tokenText(cfg.path(k[0]));
            if (text == null && k[0].equals("unk_token")) {
                text = unk;
            }
            int id = text == null ? -1 : tokens.indexOf(text);
            if (id >= 0) {
                m.put("tokenizer.ggml." + k[1] + "_token_id", GgufValue.uint32(id));
            }
        }
        if (cfg != null && cfg.path("add_bos_token").isBoolean()) {
            m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(cfg.path("add_bos_token").asBoolean()));
        }
        if (cfg != null && cfg.path("add_eos_token").isBoolean()) {
            m.put("tokenizer.ggml.add_eos_token", GgufValue.bool(cfg.path("add_eos_token").asBoolean()));
        }
    }

    /**
     * Gives {@link #DEMOTED} to normal tokens of two or more characters that the merges never build, or build
     * only after merges of later tokens: their SentencePiece score was set by hand (Llama gives its runs of
     * {@code ▁} -1e9), and a positional score would make them merge first.
     */
    private static void demoteUnmerged(List<Float> scores, List<String> tokens, List<Integer> types, List<String> merges) {
        Map<String, Integer> ids = new java.util.HashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            ids.putIfAbsent(tokens.get(id), id);
        }
        boolean[] built = new boolean[tokens.size()];
        int highest = -1;
        for (String mg : merges) {
            Integer id = ids.get(mg.replaceFirst(" ", ""));
            if (id == null || built[id]) {
                continue;
            }
            built[id] = true;
            if (id < highest && types.get(id) == TokenTypes.NORMAL) {
                scores.set(id, DEMOTED);
            }
            highest = Math.max(highest, id);
        }
        for (int id = 0; id < tokens.size(); id++) {
            String t = tokens.get(id);
            if (!built[id] && types.get(id) == TokenTypes.NORMAL && t.codePointCount(0, t.length()) > 1) {
                scores.set(id, DEMOTED);
            }
        }
    }

    private static String tokenText(JsonNode n) {
        if (n.isTextual()) {
            return n.asText();
        }
        return n.path("content").isTextual() ? n.path("content").asText() : null;
    }

    private static List<String> merges(JsonNode node, Path file) throws FormatException {
        List<String> out = new ArrayList<>();
        for (JsonNode mg : node) {
            if (mg.isTextual()) {
                out.add(mg.asText());
            } else if (mg.isArray() && mg.size() == 2) {
                out.add(mg.get(0).asText() + " " + mg.get(1).asText());
            } else {
                throw new FormatException(file, -1, "model.merges", "a merge is neither \"a b\" nor [a, b]: " + mg);
            }
        }
        return out;
    }

    static JsonNode read(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FormatException(file, -1, "", "invalid JSON: " + e.getOriginalMessage());
        }
    }
}
