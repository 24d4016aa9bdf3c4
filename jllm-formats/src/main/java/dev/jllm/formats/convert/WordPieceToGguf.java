package dev.jllm.formats.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.tokenizer.TokenType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * GGUF {@code tokenizer.ggml.*} metadata ({@code model = bert}) of a WordPiece vocabulary, from BERT's
 * {@code vocab.txt} or a WordPiece {@code tokenizer.json}, spelled as llama.cpp's converter spells it: control
 * tokens as they are, continuations without their {@code ##}, word starts behind a {@code ▁}. The
 * pre-tokenizer name is {@code bert-bge} for lower-casing vocabularies (llama.cpp's name for the
 * bert-base-uncased splitting, which BAAI/bge-small-en shares) and {@code default} otherwise.
 */
final class WordPieceToGguf {
    private static final List<String> BERT_SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    /** BertTokenizer's default special tokens, used when no config names them. */
    private static final Map<String, String> DEFAULTS = Map.of("unk_token", "[UNK]", "sep_token", "[SEP]",
            "pad_token", "[PAD]", "cls_token", "[CLS]", "mask_token", "[MASK]");

    private WordPieceToGguf() {
    }

    /** BERT's {@code vocab.txt}: one token per line; its bracketed special tokens are control tokens. */
    static Map<String, GgufValue> fromVocabTxt(Path vocabTxt, HfTokenizerConfig config) throws IOException {
        List<String> lines = Files.readAllLines(vocabTxt, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new FormatException(vocabTxt, -1, "", "empty vocabulary");
        }
        Map<Integer, String> byId = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            byId.put(i, lines.get(i).strip());
        }
        Map<Integer, Boolean> added = new HashMap<>();
        List<String> specials = new ArrayList<>(BERT_SPECIALS);
        if (config != null) {
            for (String s : new String[] {config.unkToken(), config.padToken()}) {
                if (s != null) {
                    specials.add(s);
                }
            }
            specials.addAll(config.additionalSpecialTokens());
        }
        byId.forEach((id, t) -> {
            if (specials.contains(t)) {
                added.put(id, true);
            }
        });
        boolean lower = config == null || config.doLowerCase() == null || config.doLowerCase();
        return metadata(byId, added, lower, config);
    }

    /** A {@code tokenizer.json} whose model is WordPiece. */
    static Map<String, GgufValue> fromTokenizerJson(Path file, JsonNode root, HfTokenizerConfig config)
            throws FormatException {
        Map<Integer, String> byId = new TreeMap<>();
        var it = root.path("model").path("vocab").properties().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw new FormatException(file, -1, "model.vocab." + e.getKey(), "id is not a non-negative integer");
            }
            byId.put(e.getValue().asInt(), e.getKey());
        }
        Map<Integer, Boolean> added = new HashMap<>();
        for (JsonNode a : root.path("added_tokens")) {
            int id = a.path("id").asInt(-1);
            if (id < 0 || !a.path("content").isTextual()) {
                throw new FormatException(file, -1, "added_tokens", "entry without id or content");
            }
            byId.put(id, a.path("content").asText());
            added.put(id, a.path("special").asBoolean(false));
        }
        if (byId.isEmpty()) {
            throw new FormatException(file, -1, "model.vocab", "empty vocabulary");
        }
        JsonNode norm = root.path("normalizer");
        boolean lower = !norm.isObject() || norm.path("lowercase").asBoolean(true);
        return metadata(byId, added, lower, config);
    }

    /** {@code added} maps the ids of added tokens to whether they are special. */
    private static Map<String, GgufValue> metadata(Map<Integer, String> byId, Map<Integer, Boolean> added, boolean lower,
            HfTokenizerConfig config) throws FormatException {
        int size = ((TreeMap<Integer, String>) byId).lastKey() + 1;
        if (size > 16_000_000) {
            throw new FormatException(null, -1, "vocab", "vocabulary size " + size + " is out of range");
        }
        List<String> tokens = new ArrayList<>(size);
        List<String> plain = new ArrayList<>(size);
        List<Integer> types = new ArrayList<>(size);
        for (int id = 0; id < size; id++) {
            String t = byId.get(id);
            TokenType type;
            if (t == null) {
                t = "[PAD" + id + "]";
                type = TokenType.UNUSED;
            } else if (added.containsKey(id)) {
                type = added.get(id) || SpecialVocabulary.looksSpecial(t) ? TokenType.CONTROL : TokenType.USER_DEFINED;
            } else {
                type = TokenType.NORMAL;
            }
            plain.add(t);
            // the phantom-space spelling llama.cpp's WordPiece tokenizer reads
            tokens.add(type == TokenType.CONTROL ? t : t.startsWith("##") ? t.substring(2) : "\u2581" + t);
            types.add(type.code());
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.string("bert"));
        m.put("tokenizer.ggml.pre", GgufValue.string(lower ? "bert-bge" : "default"));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        SpecialVocabulary.put(m, config, plain, DEFAULTS);
        return m;
    }
}
