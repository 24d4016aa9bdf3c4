package dev.jllm.formats.tokenizer.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.tokenizer.SpecialTokens;
import dev.jllm.formats.tokenizer.TokenType;
import dev.jllm.formats.tokenizer.bpe.ByteLevelAlphabet;
import dev.jllm.formats.tokenizer.bpe.ByteLevelBpeTokenizer;
import dev.jllm.formats.tokenizer.bpe.ConcatenationRanks;
import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Llama 3's {@code tiktoken.model} ({@code tokenizer.model} in Meta's releases): one
 * "base64-bytes rank" per line, ranks being merge priorities and ids. Special tokens come from
 * {@code tokenizer_config.json}'s added_tokens_decoder next to it, or Llama 3's defaults.
 */
public final class TiktokenFile {
    private static final String[] LLAMA3_SPECIALS = {"<|begin_of_text|>", "<|end_of_text|>",
            "<|reserved_special_token_0|>", "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>",
            "<|step_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"};

    private TiktokenFile() {
    }

    /** Whether the file looks like tiktoken ranks (first line "base64 number"). */
    public static boolean looksLikeTiktoken(Path file) throws IOException {
        try (var r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            String line = r.readLine();
            return line != null && line.matches("[A-Za-z0-9+/=]+ \\d+");
        }
    }

    /** Loads a tiktoken file with Llama 3's pre-tokenizer; BOS is added on encode. */
    public static ByteLevelBpeTokenizer load(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        Map<Integer, String> byRank = new HashMap<>();
        int maxRank = -1;
        Base64.Decoder b64 = Base64.getDecoder();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            int sp = line.indexOf(' ');
            int rank;
            byte[] bytes;
            try {
                rank = Integer.parseInt(line.substring(sp + 1));
                bytes = b64.decode(line.substring(0, sp));
            } catch (RuntimeException e) {
                throw new FormatException(file, -1, "line " + (i + 1), "expected 'base64 rank', got '" + abbreviate(line) + "'");
            }
            if (rank < 0 || bytes.length == 0) {
                throw new FormatException(file, -1, "line " + (i + 1), "negative rank or empty token");
            }
            byRank.put(rank, ByteLevelAlphabet.encode(bytes));
            maxRank = Math.max(maxRank, rank);
        }
        if (maxRank >= 2 * byRank.size() + 1024) {
            throw new FormatException(file, -1, "ranks", "rank " + maxRank + " far beyond the " + byRank.size() + " tokens");
        }
        if (maxRank < 255) {
            throw new FormatException(file, -1, "ranks", "only " + (maxRank + 1) + " ranks: not a tiktoken file");
        }
        int base = maxRank + 1;
        HfTokenizerConfig cfg = null;
        Path cfgPath = file.toAbsolutePath().getParent().resolve("tokenizer_config.json");
        if (Files.isRegularFile(cfgPath)) {
            cfg = HfTokenizerConfig.read(cfgPath);
        }
        Map<Integer, String> specials = new HashMap<>();
        // added_tokens_decoder has no typed field: HF writes it for fast tokenizers only
        JsonNode decoder = cfg == null ? null : cfg.raw().get("added_tokens_decoder");
        if (decoder != null && decoder.isObject()) {
            var it = decoder.properties().iterator();
            while (it.hasNext()) {
                var e = it.next();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new FormatException(cfgPath, -1, "added_tokens_decoder." + e.getKey(), "id is not a number");
                }
                specials.put(id, e.getValue().path("content").asText());
            }
        } else {
            for (int i = 0; i < 256; i++) {
                specials.put(base + i, i < LLAMA3_SPECIALS.length ? LLAMA3_SPECIALS[i]
                        : "<|reserved_special_token_" + (i - LLAMA3_SPECIALS.length + 2) + "|>");
            }
        }
        int size = base;
        for (int id : specials.keySet()) {
            if (id < base || id >= base + 2 * specials.size() + 1024) {
                throw new FormatException(cfgPath, -1, "added_tokens_decoder." + id,
                        "special id outside " + base + ".." + (base + 2 * specials.size() + 1023));
            }
            size = Math.max(size, id + 1);
        }
        String[] tokens = new String[size];
        for (var e : byRank.entrySet()) {
            tokens[e.getKey()] = e.getValue();
        }
        TokenType[] types = new TokenType[size];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        Map<String, Integer> vocab = new HashMap<>();
        for (int i = 0; i < base; i++) {
            if (tokens[i] != null) {
                vocab.put(tokens[i], i);
            }
        }
        ByteLevelBpeTokenizer tok = new ByteLevelBpeTokenizer(tokens, types,
                new ConcatenationRanks(tokens, vocab), new PreTokenizer(List.of(PreTokenizer.LLAMA3), false), true);
        for (var e : specials.entrySet()) {
            tok.addToken(e.getKey(), e.getValue(), true);
        }
        String bosText = cfg == null ? "<|begin_of_text|>" : cfg.bosToken() == null ? "" : cfg.bosToken();
        String eosText = cfg == null ? "<|end_of_text|>" : cfg.eosToken() == null ? "" : cfg.eosToken();
        int bos = tok.id(bosText);
        List<Integer> eos = new ArrayList<>();
        for (String s : new String[] {eosText, "<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"}) {
            int id = tok.id(s);
            if (id >= 0 && !eos.contains(id)) {
                eos.add(id);
            }
        }
        tok.setCleanUpSpaces(cfg != null && Boolean.TRUE.equals(cfg.cleanUpTokenizationSpaces()));
        boolean addBos = cfg == null || cfg.addBosToken() == null || cfg.addBosToken();
        tok.setSpecialTokens(new SpecialTokens(bos, eos.stream().mapToInt(Integer::intValue).toArray(),
                tok.id("<|finetune_right_pad_id|>"), -1, addBos && bos >= 0, false));
        return tok;
    }

    static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
