package dev.jllm.formats.tokenizer.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.tokenizer.AbstractTokenizer;
import dev.jllm.formats.tokenizer.SpecialTokens;
import dev.jllm.formats.tokenizer.TokenType;
import dev.jllm.formats.tokenizer.bpe.ByteLevelBpeTokenizer;
import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import dev.jllm.formats.tokenizer.sentencepiece.PrecompiledCharsMap;
import dev.jllm.formats.tokenizer.sentencepiece.SentencePieceBpeTokenizer;
import dev.jllm.formats.tokenizer.sentencepiece.UnigramTokenizer;
import dev.jllm.formats.tokenizer.wordpiece.BertNormalizer;
import dev.jllm.formats.tokenizer.wordpiece.WordPieceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Hugging Face {@code tokenizer.json} (model BPE, WordPiece or Unigram, with its normalizer,
 * pre_tokenizer, decoder, added_tokens and post_processor), with {@code tokenizer_config.json}
 * from the same folder when present (add_bos_token/add_eos_token, bos/eos token strings).
 */
public final class HfTokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.regex.Pattern UNICODE_WHITESPACE =
            java.util.regex.Pattern.compile("\\s+", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

    private HfTokenizerJson() {
    }

    /** Loads {@code tokenizer.json}; {@code config} may be null (then {@code tokenizer_config.json} next to it is used if present). */
    public static AbstractTokenizer load(Path file, Path config) throws IOException {
        JsonNode root = readJson(file);
        HfTokenizerConfig cfg = null;
        Path cfgPath = config != null ? config : siblingConfig(file);
        if (cfgPath != null && Files.isRegularFile(cfgPath)) {
            cfg = HfTokenizerConfig.read(cfgPath);
        }
        return build(root, cfg, file);
    }

    private static Path siblingConfig(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        return dir == null ? null : dir.resolve("tokenizer_config.json");
    }

    /** Reads a JSON file, turning parse errors into {@link FormatException}. */
    static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new FormatException(file, -1, "", "invalid JSON: " + e.getOriginalMessage());
        }
    }

    static AbstractTokenizer build(JsonNode root, HfTokenizerConfig cfg, Path file) throws FormatException {
        JsonNode model = root.path("model");
        String type = model.path("type").asText("");
        if (type.isEmpty()) {
            // Older files leave the type out: tell the models apart by their fields.
            type = model.has("merges") ? "BPE" : model.path("vocab").isArray() ? "Unigram"
                    : model.has("continuing_subword_prefix") || model.has("max_input_chars_per_word") ? "WordPiece" : "";
        }
        JsonNode vocabNode = model.path("vocab");
        // Vocabulary: object token->id (BPE, WordPiece) or array [token, score] (Unigram).
        Map<String, Integer> vocab = new HashMap<>();
        List<Float> unigramScores = new ArrayList<>();
        int maxId = -1;
        if (vocabNode.isObject()) {
            var it = vocabNode.properties().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (!e.getValue().canConvertToInt()) {
                    throw new FormatException(file, -1, "model.vocab." + e.getKey(), "id is not an integer");
                }
                int id = e.getValue().asInt();
                if (id < 0) {
                    throw new FormatException(file, -1, "model.vocab." + e.getKey(), "negative id " + id);
                }
                vocab.put(e.getKey(), id);
                maxId = Math.max(maxId, id);
            }
        } else if (vocabNode.isArray()) {
            for (int i = 0; i < vocabNode.size(); i++) {
                JsonNode entry = vocabNode.get(i);
                if (!entry.isArray() || entry.size() < 2 || !entry.get(0).isTextual()) {
                    throw new FormatException(file, -1, "model.vocab[" + i + "]", "expected [piece, score]");
                }
                vocab.putIfAbsent(entry.get(0).asText(), i);
                unigramScores.add((float) entry.get(1).asDouble());
            }
            maxId = vocabNode.size() - 1;
        } else {
            throw new FormatException(file, -1, "model.vocab", "missing");
        }
        JsonNode addedNode = root.path("added_tokens");
        for (JsonNode a : addedNode) {
            maxId = Math.max(maxId, a.path("id").asInt(-1));
        }
        // Ids index an array: a stray huge id must not allocate gigabytes.
        if (maxId >= 2L * (vocab.size() + addedNode.size()) + 1024) {
            throw new FormatException(file, -1, "model.vocab", "id " + maxId + " far beyond the "
                    + (vocab.size() + addedNode.size()) + " tokens");
        }
        String[] tokens = new String[maxId + 1];
        for (var e : vocab.entrySet()) {
            tokens[e.getValue()] = e.getKey();
        }
        TokenType[] types = new TokenType[tokens.length];
        Arrays.fill(types, TokenType.NORMAL);
        for (JsonNode a : addedNode) {
            int id = a.path("id").asInt(-1);
            if (id < 0 || !a.path("content").isTextual()) {
                throw new FormatException(file, -1, "added_tokens", "entry without id or content");
            }
            if (a.path("special").asBoolean(false)) {
                types[id] = TokenType.CONTROL;
            }
        }
        JsonNode pre = root.path("pre_tokenizer");
        JsonNode normalizer = root.path("normalizer");
        AbstractTokenizer tok;
        int unk = -1;
        String unkToken = model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null;
        if (unkToken != null && vocab.containsKey(unkToken)) {
            unk = vocab.get(unkToken);
        }
        switch (type) {
            case "BPE" -> {
                List<String[]> merges = readMerges(model.path("merges"), file);
                boolean byteLevel = containsType(pre, "ByteLevel") || containsType(root.path("decoder"), "ByteLevel");
                if (byteLevel) {
                    List<String> regexes = new ArrayList<>();
                    boolean[] prefixSpace = {false};
                    collectSplits(pre, regexes, prefixSpace, file);
                    PreTokenizer splitter;
                    try {
                        splitter = new PreTokenizer(regexes, prefixSpace[0]);
                    } catch (java.util.regex.PatternSyntaxException e) {
                        throw new FormatException(file, -1, "pre_tokenizer.pattern", "regex Java cannot compile: " + e.getDescription());
                    }
                    tok = new ByteLevelBpeTokenizer(tokens, types, ByteLevelBpeTokenizer.mergesFromPairs(merges, vocab),
                            splitter, model.path("ignore_merges").asBoolean(false));
                } else {
                    boolean byteFallback = model.path("byte_fallback").asBoolean(false);
                    for (int i = 0; i < tokens.length; i++) {
                        if (tokens[i] != null && tokens[i].length() == 6 && tokens[i].matches("<0x[0-9A-F]{2}>")) {
                            types[i] = TokenType.BYTE;
                        }
                    }
                    boolean prefix = containsType(normalizer, "Prepend") || hasMetaspacePrefix(pre);
                    SentencePieceBpeTokenizer spm = new SentencePieceBpeTokenizer(tokens, types,
                            ByteLevelBpeTokenizer.mergesFromPairs(merges, vocab), byteFallback, prefix, false, unk);
                    JsonNode meta = findType(pre, "Metaspace");
                    spm.setPrefixOnlyAtStart(meta != null && meta.path("prepend_scheme").asText("").equals("first"));
                    tok = spm;
                }
            }
            case "WordPiece" -> {
                JsonNode n = findType(normalizer, "BertNormalizer");
                boolean lower = n == null || n.path("lowercase").asBoolean(true);
                boolean strip = n == null ? lower
                        : n.path("strip_accents").isNull() || n.path("strip_accents").isMissingNode()
                        ? lower : n.path("strip_accents").asBoolean();
                boolean chinese = n == null || n.path("handle_chinese_chars").asBoolean(true);
                String prefix = model.path("continuing_subword_prefix").asText("##");
                int maxChars = model.path("max_input_chars_per_word").asInt(100);
                boolean cleanup = cfg == null || cfg.cleanUpTokenizationSpaces() == null || cfg.cleanUpTokenizationSpaces();
                tok = new WordPieceTokenizer(tokens, types, new BertNormalizer(lower, strip, chinese), prefix, maxChars,
                        unk, cleanup);
            }
            case "Unigram" -> {
                float[] scores = new float[tokens.length];
                for (int i = 0; i < unigramScores.size(); i++) {
                    scores[i] = unigramScores.get(i);
                }
                int u = model.path("unk_id").asInt(-1);
                UnaryOperator<String> chars = UnaryOperator.identity();
                JsonNode pc = findType(normalizer, "Precompiled");
                if (pc != null && pc.path("precompiled_charsmap").isTextual()) {
                    try {
                        chars = PrecompiledCharsMap.parse(Base64.getDecoder()
                                .decode(pc.path("precompiled_charsmap").asText()))::normalize;
                    } catch (IllegalArgumentException e) {
                        throw new FormatException(file, -1, "normalizer.precompiled_charsmap", e.getMessage());
                    }
                } else if (containsType(normalizer, "NFKC")) {
                    chars = UnigramTokenizer.NFKC;
                }
                if (containsType(pre, "WhitespaceSplit")) {
                    // Words split at any whitespace and each prefixed: the same as one space between words.
                    UnaryOperator<String> before = chars;
                    chars = t -> UNICODE_WHITESPACE.matcher(before.apply(t)).replaceAll(" ");
                }
                tok = new UnigramTokenizer(tokens, types, scores, model.path("byte_fallback").asBoolean(false),
                        hasMetaspacePrefix(pre) || containsType(normalizer, "Prepend"), true, chars, u);
                unk = u;
            }
            default -> throw new FormatException(file, -1, "model.type", "unsupported model type '" + type + "'");
        }
        if (type.equals("BPE") && tok instanceof ByteLevelBpeTokenizer) {
            tok.setNormalizer(unicodeNormalizer(normalizer));
        }
        for (JsonNode a : addedNode) {
            tok.addToken(a.path("id").asInt(), a.path("content").asText(), a.path("special").asBoolean(false),
                    a.path("lstrip").asBoolean(false), a.path("rstrip").asBoolean(false));
        }
        tok.setSpecialTokens(specials(root.path("post_processor"), cfg, tok, unk));
        JsonNode wpDecoder = findType(root.path("decoder"), "WordPiece");
        boolean cleanup = cfg != null ? (cfg.cleanUpTokenizationSpaces() != null ? cfg.cleanUpTokenizationSpaces() : wpDecoder != null)
                : wpDecoder != null && wpDecoder.path("cleanup").asBoolean(true);
        tok.setCleanUpSpaces(cleanup);
        return tok;
    }

    // Unicode forms and lower-casing of a normalizer (byte-level models use these; the others are handled by the model).
    private static UnaryOperator<String> unicodeNormalizer(JsonNode normalizer) {
        UnaryOperator<String> f = UnaryOperator.identity();
        for (String form : new String[] {"NFC", "NFD", "NFKC", "NFKD"}) {
            if (containsType(normalizer, form)) {
                Normalizer.Form nf = Normalizer.Form.valueOf(form);
                UnaryOperator<String> prev = f;
                f = t -> Normalizer.normalize(prev.apply(t), nf);
            }
        }
        if (containsType(normalizer, "Lowercase")) {
            UnaryOperator<String> prev = f;
            f = t -> prev.apply(t).toLowerCase(Locale.ROOT);
        }
        return f;
    }

    private static List<String[]> readMerges(JsonNode merges, Path file) throws FormatException {
        List<String[]> out = new ArrayList<>(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            JsonNode m = merges.get(i);
            if (m.isTextual()) {
                String s = m.asText();
                int sp = s.indexOf(' ', 1);
                if (sp < 0) {
                    throw new FormatException(file, -1, "model.merges[" + i + "]", "no space in '" + s + "'");
                }
                out.add(new String[] {s.substring(0, sp), s.substring(sp + 1)});
            } else if (m.isArray() && m.size() == 2) {
                out.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw new FormatException(file, -1, "model.merges[" + i + "]", "expected \"a b\" or [a, b]");
            }
        }
        return out;
    }

    private static boolean containsType(JsonNode node, String type) {
        return findType(node, type) != null;
    }

    private static JsonNode findType(JsonNode node, String type) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (type.equals(node.path("type").asText())) {
            return node;
        }
        for (String key : new String[] {"pretokenizers", "normalizers", "decoders", "processors"}) {
            for (JsonNode child : node.path(key)) {
                JsonNode f = findType(child, type);
                if (f != null) {
                    return f;
                }
            }
        }
        return null;
    }

    private static boolean hasMetaspacePrefix(JsonNode pre) {
        JsonNode m = findType(pre, "Metaspace");
        if (m == null) {
            return false;
        }
        String scheme = m.path("prepend_scheme").asText("");
        return m.path("add_prefix_space").asBoolean(false) || scheme.equals("always") || scheme.equals("first");
    }

    // Regex splits of the pre-tokenizer, in order; ByteLevel with use_regex contributes GPT-2's pattern.
    private static void collectSplits(JsonNode pre, List<String> regexes, boolean[] prefixSpace, Path file)
            throws FormatException {
        if (pre == null || pre.isMissingNode() || pre.isNull()) {
            return;
        }
        switch (pre.path("type").asText()) {
            case "Sequence" -> {
                for (JsonNode p : pre.path("pretokenizers")) {
                    collectSplits(p, regexes, prefixSpace, file);
                }
            }
            case "Split" -> {
                JsonNode pattern = pre.path("pattern");
                if (pattern.has("Regex")) {
                    regexes.add(pattern.path("Regex").asText());
                } else if (pattern.has("String")) {
                    regexes.add(java.util.regex.Pattern.quote(pattern.path("String").asText()));
                } else {
                    throw new FormatException(file, -1, "pre_tokenizer.pattern", "neither Regex nor String");
                }
            }
            case "ByteLevel" -> {
                if (pre.path("use_regex").asBoolean(true)) {
                    regexes.add(PreTokenizer.GPT2);
                }
                prefixSpace[0] = prefixSpace[0] || pre.path("add_prefix_space").asBoolean(false);
            }
            case "Digits" -> regexes.add(pre.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+");
            default -> {
            }
        }
    }

    private static SpecialTokens specials(JsonNode post, HfTokenizerConfig cfg, AbstractTokenizer tok, int unk) {
        int bos = -1;
        int eos = -1;
        boolean addBos = false;
        boolean addEos = false;
        JsonNode template = findType(post, "TemplateProcessing");
        JsonNode bert = findType(post, "BertProcessing");
        if (bert == null) {
            bert = findType(post, "RobertaProcessing");
        }
        if (template != null) {
            boolean seenA = false;
            for (JsonNode piece : template.path("single")) {
                if (piece.has("Sequence")) {
                    seenA = true;
                } else if (piece.has("SpecialToken")) {
                    int id = tok.id(piece.path("SpecialToken").path("id").asText());
                    if (!seenA && bos < 0) {
                        bos = id;
                        addBos = id >= 0;
                    } else if (seenA && eos < 0) {
                        eos = id;
                        addEos = id >= 0;
                    }
                }
            }
        } else if (bert != null) {
            bos = tok.id(bert.path("cls").path(0).asText());
            eos = tok.id(bert.path("sep").path(0).asText());
            addBos = bos >= 0;
            addEos = eos >= 0;
        }
        if (cfg != null) {
            int cfgBos = cfg.bosToken() == null ? -1 : tok.id(cfg.bosToken());
            int cfgEos = cfg.eosToken() == null ? -1 : tok.id(cfg.eosToken());
            if (bos < 0) {
                bos = cfgBos;
            }
            if (eos < 0 || (cfgEos >= 0 && !addEos)) {
                eos = cfgEos >= 0 ? cfgEos : eos;
            }
            if (cfg.addBosToken() != null && template == null) {
                addBos = cfg.addBosToken() && bos >= 0;
            }
            if (cfg.addEosToken() != null && template == null) {
                addEos = cfg.addEosToken() && eos >= 0;
            }
        }
        int pad = cfg == null || cfg.padToken() == null ? -1 : tok.id(cfg.padToken());
        return new SpecialTokens(bos, eos >= 0 ? new int[] {eos} : new int[0], pad, unk, addBos, addEos);
    }
}
