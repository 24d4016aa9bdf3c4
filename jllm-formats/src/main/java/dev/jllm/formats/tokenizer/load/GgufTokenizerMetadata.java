package dev.jllm.formats.tokenizer.load;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The tokenizer described by GGUF metadata ({@code tokenizer.ggml.*}): model llama (SentencePiece
 * BPE), gpt2 (byte-level BPE with the {@code pre} splitter), bert (WordPiece) or t5 (Unigram).
 */
public final class GgufTokenizerMetadata {
    private static final String P = "tokenizer.ggml.";

    private GgufTokenizerMetadata() {
    }

    /** Opens a GGUF file and builds the tokenizer its metadata describes. */
    public static AbstractTokenizer fromGguf(Path file) throws java.io.IOException {
        try (GgufFile gguf = GgufFile.open(file)) {
            return fromGgufMetadata(gguf.metadata(), file);
        }
    }

    /**
     * Builds the tokenizer from metadata as {@code GgufFile.metadata()} maps it.
     *
     * @param file the GGUF file, for error messages (may be null)
     */
    public static AbstractTokenizer fromGgufMetadata(Map<String, Object> metadata, Path file) throws FormatException {
        String model = string(metadata, P + "model", file, null);
        List<String> tokenList = list(metadata, P + "tokens", String.class, file, true);
        int n = tokenList.size();
        String[] tokens = tokenList.toArray(new String[0]);
        TokenType[] types = new TokenType[n];
        List<Number> typeList = list(metadata, P + "token_type", Number.class, file, false);
        checkLength(typeList, n, P + "token_type", file);
        for (int i = 0; i < n; i++) {
            types[i] = typeList == null ? TokenType.NORMAL : TokenType.of(typeList.get(i).intValue());
        }
        List<Number> scoreList = list(metadata, P + "scores", Number.class, file, false);
        checkLength(scoreList, n, P + "scores", file);
        float[] scores = new float[n];
        for (int i = 0; scoreList != null && i < n; i++) {
            scores[i] = scoreList.get(i).floatValue();
        }
        Map<String, Integer> ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            ids.putIfAbsent(tokens[i], i);
        }
        int bos = id(metadata, "bos_token_id", n, file);
        int eos = id(metadata, "eos_token_id", n, file);
        int unk = id(metadata, "unknown_token_id", n, file);
        int pad = id(metadata, "padding_token_id", n, file);
        boolean addSpacePrefix = bool(metadata, P + "add_space_prefix", true);
        AbstractTokenizer tok;
        boolean defaultAddBos;
        switch (model) {
            case "llama" -> {
                tok = new SentencePieceBpeTokenizer(tokens, types,
                        SentencePieceBpeTokenizer.mergesFromScores(tokens, types, scores, ids), true, addSpacePrefix,
                        bool(metadata, P + "remove_extra_whitespaces", false), unk >= 0 ? unk : ids.getOrDefault("<unk>", -1));
                defaultAddBos = true;
            }
            case "gpt2" -> {
                List<String> mergeLines = list(metadata, P + "merges", String.class, file, true);
                List<String[]> merges = new ArrayList<>(mergeLines.size());
                for (int i = 0; i < mergeLines.size(); i++) {
                    String m = mergeLines.get(i);
                    int sp = m.indexOf(' ', 1);
                    if (sp < 0) {
                        throw new FormatException(file, -1, P + "merges[" + i + "]", "no space in '" + m + "'");
                    }
                    merges.add(new String[] {m.substring(0, sp), m.substring(sp + 1)});
                }
                String pre = metadata.get(P + "pre") instanceof String s ? s : "default";
                boolean ignoreMerges = pre.equals("llama3") || pre.equals("llama-bpe") || pre.equals("llama-v3");
                tok = new ByteLevelBpeTokenizer(tokens, types, ByteLevelBpeTokenizer.mergesFromPairs(merges, ids),
                        PreTokenizer.forLlamaCppName(pre), ignoreMerges);
                defaultAddBos = false;
            }
            case "bert" -> {
                // llama.cpp writes word starts with a ▁ prefix and continuations bare; WordPiece wants ## continuations.
                String[] wp = new String[n];
                for (int i = 0; i < n; i++) {
                    String t = tokens[i];
                    if (types[i] == TokenType.CONTROL || types[i] == TokenType.UNKNOWN || types[i] == TokenType.USER_DEFINED) {
                        wp[i] = t;
                    } else if (t.startsWith("\u2581")) {
                        wp[i] = t.substring(1);
                    } else {
                        wp[i] = "##" + t;
                    }
                }
                tok = new WordPieceTokenizer(wp, types, new BertNormalizer(true, true, true), "##", 100, unk, true);
                defaultAddBos = true;
            }
            case "t5" -> {
                UnaryOperator<String> chars = UnigramTokenizer.NFKC;
                List<Number> map = list(metadata, P + "precompiled_charsmap", Number.class, file, false);
                if (map != null && !map.isEmpty()) {
                    byte[] blob = new byte[map.size()];
                    for (int i = 0; i < blob.length; i++) {
                        blob[i] = map.get(i).byteValue();
                    }
                    try {
                        chars = PrecompiledCharsMap.parse(blob)::normalize;
                    } catch (IllegalArgumentException e) {
                        throw new FormatException(file, -1, P + "precompiled_charsmap", e.getMessage());
                    }
                }
                tok = new UnigramTokenizer(tokens, types, scores, false, addSpacePrefix,
                        bool(metadata, P + "remove_extra_whitespaces", true), chars, unk);
                defaultAddBos = false;
            }
            default -> throw new FormatException(file, -1, P + "model", "unsupported tokenizer model '" + model + "'");
        }
        for (int i = 0; i < n; i++) {
            if (types[i] == TokenType.CONTROL || types[i] == TokenType.USER_DEFINED) {
                tok.addToken(i, tokens[i], types[i] == TokenType.CONTROL);
            }
        }
        List<Integer> eosIds = new ArrayList<>();
        if (model.equals("bert")) {
            // WordPiece models wrap text in [CLS] … [SEP]: those are what BOS and EOS add
            int cls = id(metadata, "cls_token_id", n, file);
            int sep = id(metadata, "seperator_token_id", n, file);
            if (cls >= 0) {
                bos = cls;
            }
            if (sep >= 0) {
                eosIds.add(sep);
                eos = sep;
            }
        }
        boolean addBos = bool(metadata, P + "add_bos_token", defaultAddBos) && bos >= 0;
        boolean addEos = bool(metadata, P + "add_eos_token", model.equals("bert")) && eos >= 0;
        if (eos >= 0 && !eosIds.contains(eos)) {
            eosIds.add(eos);
        }
        int eot = id(metadata, "eot_token_id", n, file);
        if (eot >= 0 && eot != eos) {
            eosIds.add(eot);
        }
        tok.setSpecialTokens(new SpecialTokens(bos, eosIds.stream().mapToInt(Integer::intValue).toArray(), pad, unk,
                addBos, addEos));
        return tok;
    }

    private static String string(Map<String, Object> md, String key, Path file, String dflt) throws FormatException {
        Object v = md.get(key);
        if (v == null && dflt != null) {
            return dflt;
        }
        if (!(v instanceof String s)) {
            throw new FormatException(file, -1, key, v == null ? "missing" : "expected a string, got " + v.getClass().getSimpleName());
        }
        return s;
    }

    private static boolean bool(Map<String, Object> md, String key, boolean dflt) {
        return md.get(key) instanceof Boolean b ? b : dflt;
    }

    private static int id(Map<String, Object> md, String name, int n, Path file) throws FormatException {
        Object v = md.get(P + name);
        if (v == null) {
            return -1;
        }
        if (!(v instanceof Number num)) {
            throw new FormatException(file, -1, P + name, "expected an integer");
        }
        long id = num.longValue();
        if (id < 0 || id >= n) {
            return -1; // llama.cpp treats out-of-range special ids as absent
        }
        return (int) id;
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> list(Map<String, Object> md, String key, Class<T> type, Path file, boolean required)
            throws FormatException {
        Object v = md.get(key);
        if (v == null) {
            if (required) {
                throw new FormatException(file, -1, key, "missing");
            }
            return null;
        }
        if (!(v instanceof List<?> l)) {
            throw new FormatException(file, -1, key, "expected an array");
        }
        for (int i = 0; i < l.size(); i++) {
            if (!type.isInstance(l.get(i))) {
                throw new FormatException(file, -1, key + "[" + i + "]", "expected " + type.getSimpleName());
            }
        }
        return (List<T>) l;
    }

    private static void checkLength(List<?> l, int n, String key, Path file) throws FormatException {
        if (l != null && l.size() != n) {
            throw new FormatException(file, -1, key, l.size() + " entries for " + n + " tokens");
        }
    }
}
