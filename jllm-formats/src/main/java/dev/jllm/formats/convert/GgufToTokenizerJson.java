package dev.jllm.formats.convert;

import dev.jllm.formats.tokenizer.TokenType;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns GGUF {@code tokenizer.ggml.*} metadata into a Hugging Face {@code tokenizer.json} and
 * {@code tokenizer_config.json}. {@code model = llama} (SentencePiece BPE) becomes a BPE model with
 * byte fallback whose merges are rebuilt from the scores: every normal token that splits into two tokens
 * of the vocabulary yields a merge, ranked by the merged token's score (as Hugging Face's own SentencePiece
 * extraction does). {@code model = gpt2} becomes a byte-level BPE with the file's merges and the
 * pre-tokenizer its {@code pre} names.
 */
final class GgufToTokenizerJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String SPACE = "\u2581";

    /** Both documents. */
    record Documents(ObjectNode tokenizer, ObjectNode config) {
    }

    private GgufToTokenizerJson() {
    }

    static Documents convert(GgufFile g) throws FormatException {
        String model = g.getString("tokenizer.ggml.model");
        if (!List.of("llama", "gpt2", "bert", "t5").contains(model)) {
            throw new FormatException(g.path(), -1, "tokenizer.ggml.model", "only llama (SentencePiece BPE), gpt2 "
                    + "(byte-level BPE), bert (WordPiece) and t5 (Unigram) tokenizers convert to tokenizer.json, not "
                    + model);
        }
        List<String> tokens = strings(g, "tokenizer.ggml.tokens");
        if (model.equals("bert")) {
            tokens = wordPieceSpelling(tokens, g);
        }
        List<Integer> types = new ArrayList<>();
        if (g.has("tokenizer.ggml.token_type")) {
            for (Object o : g.getList("tokenizer.ggml.token_type")) {
                types.add(((Number) o).intValue());
            }
        }
        while (types.size() < tokens.size()) {
            types.add(TokenType.NORMAL.code());
        }
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
        ObjectNode config = F.objectNode();
        String bos = tokenAt(g, tokens, "tokenizer.ggml.bos_token_id");
        String eos = tokenAt(g, tokens, "tokenizer.ggml.eos_token_id");
        String unk = tokenAt(g, tokens, "tokenizer.ggml.unknown_token_id");
        String pad = tokenAt(g, tokens, "tokenizer.ggml.padding_token_id");
        if (model.equals("t5")) {
            return UnigramTokenizerJson.toJson(g, tokens, types, eos, unk, pad);
        }
        boolean addBos = g.has("tokenizer.ggml.add_bos_token") ? g.getBoolean("tokenizer.ggml.add_bos_token") : model.equals("llama");
        ObjectNode m = F.objectNode().put("type", model.equals("bert") ? "WordPiece" : "BPE");
        if (!model.equals("bert")) {
            m.putNull("dropout");
        }
        if (model.equals("bert")) {
            boolean lower = !g.findString("tokenizer.ggml.pre").orElse("bert-bge").equals("default");
            root.set("normalizer", F.objectNode().put("type", "BertNormalizer").put("clean_text", true)
                    .put("handle_chinese_chars", true).putNull("strip_accents").put("lowercase", lower));
            root.set("pre_tokenizer", F.objectNode().put("type", "BertPreTokenizer"));
            String cls = tokenAt(g, tokens, "tokenizer.ggml.cls_token_id");
            String sep = tokenAt(g, tokens, "tokenizer.ggml.seperator_token_id");
            root.set("post_processor", cls != null && sep != null
                    ? clsSepTemplate(cls, tokens.indexOf(cls), sep, tokens.indexOf(sep)) : null);
            root.set("decoder", F.objectNode().put("type", "WordPiece").put("prefix", "##").put("cleanup", true));
            m.put("unk_token", unk != null ? unk : "[UNK]");
            m.put("continuing_subword_prefix", "##").put("max_input_chars_per_word", 100);
            m.set("vocab", vocab(tokens));
            config.put("do_lower_case", lower);
            putIfPresent(config, "cls_token", cls);
            putIfPresent(config, "sep_token", sep);
            putIfPresent(config, "mask_token", tokenAt(g, tokens, "tokenizer.ggml.mask_token_id"));
        } else if (model.equals("llama")) {
            root.set("normalizer", sequence("normalizers",
                    F.objectNode().put("type", "Prepend").put("prepend", SPACE),
                    replace(" ", SPACE)));
            root.putNull("pre_tokenizer");
            root.set("post_processor", addBos && bos != null ? bosTemplate(bos, tokens.indexOf(bos)) : null);
            root.set("decoder", sequence("decoders", replace(SPACE, " "), F.objectNode().put("type", "ByteFallback"),
                    F.objectNode().put("type", "Fuse"),
                    F.objectNode().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0)));
            if (unk != null) {
                m.put("unk_token", unk);
            } else {
                m.putNull("unk_token");
            }
            m.putNull("continuing_subword_prefix").putNull("end_of_word_suffix");
            m.put("fuse_unk", true).put("byte_fallback", true).put("ignore_merges", false);
            m.set("vocab", vocab(tokens));
            m.set("merges", mergesFromScores(g, tokens, types));
        } else {
            root.putNull("normalizer");
            root.set("pre_tokenizer", HfTokenizerJsonShapes.byteLevelPreTokenizer(
                    g.findString("tokenizer.ggml.pre").orElse("gpt-2")));
            root.set("post_processor", HfTokenizerJsonShapes.byteLevel(false).put("trim_offsets", false));
            root.set("decoder", HfTokenizerJsonShapes.byteLevel(true));
            m.putNull("unk_token").putNull("continuing_subword_prefix").putNull("end_of_word_suffix");
            m.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
            m.set("vocab", vocab(tokens));
            ArrayNode merges = m.putArray("merges");
            for (String s : strings(g, "tokenizer.ggml.merges")) {
                int sp = s.indexOf(' ', 1);
                if (sp < 0) {
                    throw new FormatException(g.path(), -1, "tokenizer.ggml.merges", "merge \"" + s + "\" has no space");
                }
                merges.addArray().add(s.substring(0, sp)).add(s.substring(sp + 1));
            }
        }
        root.set("model", m);
        if (g.has("tokenizer.ggml.add_bos_token")) {
            config.put("add_bos_token", addBos);
        }
        if (g.has("tokenizer.ggml.add_eos_token")) {
            config.put("add_eos_token", g.getBoolean("tokenizer.ggml.add_eos_token"));
        }
        putIfPresent(config, "bos_token", bos);
        putIfPresent(config, "eos_token", eos);
        putIfPresent(config, "unk_token", unk);
        putIfPresent(config, "pad_token", pad);
        config.put("clean_up_tokenization_spaces", false);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        List<String> named = new ArrayList<>();
        g.values().keySet().forEach(k -> {
            if (k.startsWith("tokenizer.chat_template.")) {
                named.add(k);
            }
        });
        if (named.isEmpty()) {
            g.findString("tokenizer.chat_template").ifPresent(t -> config.put("chat_template", t));
        } else {
            ArrayNode list = config.putArray("chat_template");
            g.findString("tokenizer.chat_template").ifPresent(t -> list.addObject().put("name", "default").put("template", t));
            for (String k : named) {
                list.addObject().put("name", k.substring("tokenizer.chat_template.".length())).put("template", g.getString(k));
            }
        }
        return new Documents(root, config);
    }

    /**
     * The Hugging Face spelling of llama.cpp's WordPiece tokens: control and unknown tokens as they are, word
     * starts without their {@code ▁}, continuations behind {@code ##}.
     */
    private static List<String> wordPieceSpelling(List<String> tokens, GgufFile g) throws FormatException {
        List<?> types = g.has("tokenizer.ggml.token_type") ? g.getList("tokenizer.ggml.token_type") : List.of();
        List<String> out = new ArrayList<>(tokens.size());
        for (int id = 0; id < tokens.size(); id++) {
            String t = tokens.get(id);
            int type = id < types.size() ? ((Number) types.get(id)).intValue() : TokenType.NORMAL.code();
            if (type == TokenType.CONTROL.code() || type == TokenType.UNKNOWN.code()) {
                out.add(t);
            } else {
                out.add(t.startsWith(SPACE) ? t.substring(SPACE.length()) : "##" + t);
            }
        }
        return out;
    }

    // [CLS] $A [SEP] for single sequences, [CLS] $A [SEP] $B [SEP] for pairs, as BERT's tokenizer.json writes it
    private static ObjectNode clsSepTemplate(String cls, int clsId, String sep, int sepId) {
        ObjectNode t = F.objectNode().put("type", "TemplateProcessing");
        ArrayNode single = t.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", cls).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", sep).put("type_id", 0);
        ArrayNode pair = t.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", cls).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", sep).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        pair.addObject().putObject("SpecialToken").put("id", sep).put("type_id", 1);
        ObjectNode specials = t.putObject("special_tokens");
        for (Object[] k : new Object[][] {{cls, clsId}, {sep, sepId}}) {
            ObjectNode e = specials.putObject((String) k[0]).put("id", (String) k[0]);
            e.putArray("ids").add((Integer) k[1]);
            e.putArray("tokens").add((String) k[0]);
        }
        return t;
    }

    private static ObjectNode vocab(List<String> tokens) {
        ObjectNode v = F.objectNode();
        for (int id = 0; id < tokens.size(); id++) {
            if (!v.has(tokens.get(id))) {
                v.put(tokens.get(id), id);
            }
        }
        return v;
    }

    private static ArrayNode mergesFromScores(GgufFile g, List<String> tokens, List<Integer> types) throws FormatException {
        List<?> raw = g.has("tokenizer.ggml.scores") ? g.getList("tokenizer.ggml.scores") : List.of();
        float[] scores = new float[tokens.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = i < raw.size() ? ((Number) raw.get(i)).floatValue() : -i;
        }
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            ids.putIfAbsent(tokens.get(id), id);
        }
        record Merge(int merged, int left, int right) {
        }
        List<Merge> merges = new ArrayList<>();
        for (int id = 0; id < tokens.size(); id++) {
            if (types.get(id) != TokenType.NORMAL.code()) {
                continue;
            }
            String t = tokens.get(id);
            if (t.codePointCount(0, t.length()) < 2) {
                continue;
            }
            for (int cut = t.offsetByCodePoints(0, 1); cut < t.length(); cut = t.offsetByCodePoints(cut, 1)) {
                Integer l = ids.get(t.substring(0, cut));
                Integer r = ids.get(t.substring(cut));
                if (l != null && r != null) {
                    merges.add(new Merge(id, l, r));
                }
            }
        }
        merges.sort(Comparator.comparingDouble((Merge x) -> -scores[x.merged()]).thenComparingInt(Merge::merged)
                .thenComparingInt(Merge::left).thenComparingInt(Merge::right));
        ArrayNode out = F.arrayNode();
        for (Merge x : merges) {
            out.addArray().add(tokens.get(x.left())).add(tokens.get(x.right()));
        }
        return out;
    }

    private static ObjectNode bosTemplate(String bos, int bosId) {
        ObjectNode p = F.objectNode().put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = p.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = p.putObject("special_tokens").putObject(bos);
        st.put("id", bos);
        st.putArray("ids").add(bosId);
        st.putArray("tokens").add(bos);
        return p;
    }

    private static ObjectNode replace(String from, String to) {
        ObjectNode r = F.objectNode().put("type", "Replace");
        r.putObject("pattern").put("String", from);
        r.put("content", to);
        return r;
    }

    private static ObjectNode sequence(String key, ObjectNode... items) {
        ObjectNode s = F.objectNode().put("type", "Sequence");
        ArrayNode a = s.putArray(key);
        for (ObjectNode i : items) {
            a.add(i);
        }
        return s;
    }

    private static void putIfPresent(ObjectNode n, String key, String value) {
        if (value != null) {
            n.put(key, value);
        }
    }

    private static String tokenAt(GgufFile g, List<String> tokens, String key) throws FormatException {
        if (!g.has(key)) {
            return null;
        }
        long id = g.getLong(key);
        if (id < 0 || id >= tokens.size()) {
            throw new FormatException(g.path(), -1, key, "token id " + id + " is outside the vocabulary of " + tokens.size());
        }
        return tokens.get((int) id);
    }

    private static List<String> strings(GgufFile g, String key) throws FormatException {
        List<String> out = new ArrayList<>();
        for (Object o : g.getList(key)) {
            if (!(o instanceof String s)) {
                throw new FormatException(g.path(), -1, key, "holds a non-string item");
            }
            out.add(s);
        }
        return out;
    }
}
