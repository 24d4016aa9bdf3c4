package dev.jllm.formats.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.tokenizer.TokenType;
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
        HfTokenizerConfig cfg = readConfig(config);
        JsonNode model = root.path("model");
        String kind = model.path("type").asText("");
        if (kind.equals("WordPiece") || kind.isEmpty() && model.has("continuing_subword_prefix")) {
            return WordPieceToGguf.fromTokenizerJson(tokenizerJson, root, cfg);
        }
        if (kind.equals("Unigram") || kind.isEmpty() && model.path("vocab").isArray()) {
            Map<String, GgufValue> unigram = UnigramTokenizerJson.toGguf(tokenizerJson, root, cfg);
            return TokenizerToGguf.padded(unigram, Math.max(minSize, TokenizerToGguf.vocabSize(unigram)), tokenizerJson);
        }
        if (!(kind.isEmpty() ? "BPE" : kind).equals("BPE") || !model.path("vocab").isObject()) {
            throw new FormatException(tokenizerJson, -1, "model.type", "only BPE, WordPiece and Unigram tokenizers convert to GGUF, not "
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
            TokenType type;
            if (t == null) {
                t = "[PAD" + id + "]";
                type = TokenType.UNUSED;
            } else if (added.containsKey(id)) {
                type = t.equals(unk) ? TokenType.UNKNOWN
                        : added.get(id).path("special").asBoolean(false) || SpecialVocabulary.looksSpecial(t)
                        ? TokenType.CONTROL : TokenType.USER_DEFINED;
            } else if (t.equals(unk)) {
                type = TokenType.UNKNOWN;
            } else if (!byteLevel && t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
                type = TokenType.BYTE;
            } else {
                type = TokenType.NORMAL;
            }
            tokens.add(t);
            types.add(type.code());
            if (firstNormal < 0 && type == TokenType.NORMAL) {
                firstNormal = id;
            }
            scores.add(type == TokenType.NORMAL || type == TokenType.USER_DEFINED ? -(float) (id - firstNormal) : 0f);
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
        SpecialVocabulary.put(m, cfg, tokens, unk == null ? Map.of() : Map.of("unk_token", unk));
        return m;
    }

    /**
     * The {@code tokenizer.*} metadata of a SentencePiece {@code tokenizer.model}, with its exact scores and piece
     * types: a BPE model becomes llama.cpp's {@code llama} vocabulary (its first choice for Llama models), a
     * Unigram model its {@code t5} vocabulary with the normaliser's settings and character map, no BOS and an
     * EOS added on encode, as llama.cpp's T5 converter writes them. Ids below {@code minSize} that no piece uses
     * become unused {@code [PADn]} pieces scored -10000; flags and chat template come from {@code config}.
     */
    static Map<String, GgufValue> fromSentencePiece(Path modelFile, Path config, int minSize) throws IOException {
        SentencePieceModelFile sp = SentencePieceModelFile.read(modelFile);
        if (sp.modelType() != 1 && sp.modelType() != 2) {
            throw new FormatException(modelFile, -1, "trainer_spec.model_type", "only Unigram (1) and BPE (2) "
                    + "SentencePiece models convert to GGUF, not " + sp.modelType());
        }
        boolean unigram = sp.modelType() == 1;
        HfTokenizerConfig cfg = readConfig(config);
        int size = Math.max(minSize, sp.pieces().length);
        List<String> tokens = new ArrayList<>(size);
        List<Float> scores = new ArrayList<>(size);
        List<Integer> types = new ArrayList<>(size);
        for (int id = 0; id < size; id++) {
            boolean real = id < sp.pieces().length;
            tokens.add(real ? sp.pieces()[id] : "[PAD" + id + "]");
            scores.add(real ? sp.scores()[id] : -10000f);
            types.add(real ? sp.types()[id].code() : TokenType.UNUSED.code());
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.string(unigram ? "t5" : "llama"));
        m.put("tokenizer.ggml.pre", GgufValue.string("default"));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        m.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        if (unigram) {
            m.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(sp.addDummyPrefix()));
            m.put("tokenizer.ggml.remove_extra_whitespaces", GgufValue.bool(sp.removeExtraWhitespaces()));
            if (sp.precompiledCharsmap().length > 0) {
                List<Integer> map = new ArrayList<>(sp.precompiledCharsmap().length);
                for (byte b : sp.precompiledCharsmap()) {
                    map.add(b & 0xFF);
                }
                m.put("tokenizer.ggml.precompiled_charsmap", GgufValue.array(GgufValueType.UINT8, map));
            }
        }
        int[] ids = {sp.bosId(), sp.eosId(), sp.unkId(), sp.padId()};
        String[] keys = {"bos", "eos", "unknown", "padding"};
        for (int k = 0; k < ids.length; k++) {
            if (ids[k] >= 0 && ids[k] < size) {
                m.put("tokenizer.ggml." + keys[k] + "_token_id", GgufValue.uint32(ids[k]));
            }
        }
        SpecialVocabulary.put(m, cfg, List.of(), Map.of());
        if (unigram) {
            m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(false));
            m.put("tokenizer.ggml.add_eos_token", GgufValue.bool(true));
        }
        return m;
    }

    static HfTokenizerConfig readConfig(Path config) throws IOException {
        return config != null && Files.isRegularFile(config) ? HfTokenizerConfig.read(config) : null;
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
            if (id < highest && types.get(id) == TokenType.NORMAL.code()) {
                scores.set(id, DEMOTED);
            }
            highest = Math.max(highest, id);
        }
        for (int id = 0; id < tokens.size(); id++) {
            String t = tokens.get(id);
            if (!built[id] && types.get(id) == TokenType.NORMAL.code() && t.codePointCount(0, t.length()) > 1) {
                scores.set(id, DEMOTED);
            }
        }
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
