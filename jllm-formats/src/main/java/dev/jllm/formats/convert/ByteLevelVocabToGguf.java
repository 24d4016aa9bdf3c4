package dev.jllm.formats.convert;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.tokenizer.AbstractTokenizer;
import dev.jllm.formats.tokenizer.TokenType;
import dev.jllm.formats.tokenizer.load.Gpt2VocabFiles;
import dev.jllm.formats.tokenizer.load.TiktokenFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GGUF {@code tokenizer.ggml.*} metadata ({@code model = gpt2}) of byte-level BPE vocabularies that come
 * without a {@code tokenizer.json}: GPT-2's {@code vocab.json} + {@code merges.txt}, and Llama 3's tiktoken
 * ranks. The result is what llama.cpp's converter writes for the equivalent {@code tokenizer.json}: for
 * tiktoken that is the file Hugging Face's tiktoken converter makes, whose merges are every split of each
 * token into two tokens of the vocabulary, ordered by the merged token's rank and then by the parts' ranks.
 */
final class ByteLevelVocabToGguf {
    private ByteLevelVocabToGguf() {
    }

    /** GPT-2's two files; {@code config} (tokenizer_config.json) may be null. */
    static Map<String, GgufValue> fromVocabAndMerges(Path vocabJson, Path mergesTxt, HfTokenizerConfig config)
            throws IOException {
        AbstractTokenizer tok = Gpt2VocabFiles.load(vocabJson, mergesTxt);
        List<String> merges = new ArrayList<>();
        for (String line : Files.readAllLines(mergesTxt, StandardCharsets.UTF_8)) {
            if (!line.startsWith("#version") && !line.isBlank()) {
                merges.add(line);
            }
        }
        // GPT2Tokenizer's defaults: <|endoftext|> is BOS, EOS and UNK
        Map<String, String> defaults = Map.of("bos_token", "<|endoftext|>", "eos_token", "<|endoftext|>",
                "unk_token", "<|endoftext|>");
        return metadata(tok, "gpt-2", merges, config, defaults, null);
    }

    /**
     * Llama 3's {@code tiktoken.model} with the special tokens of {@code config} (or Llama 3's). BOS is added on
     * encode unless the config says otherwise: the converted {@code tokenizer.json} prepends
     * {@code <|begin_of_text|>} in its post-processor, which llama.cpp's converter reads as add_bos_token.
     */
    static Map<String, GgufValue> fromTiktoken(Path file, HfTokenizerConfig config) throws IOException {
        AbstractTokenizer tok = TiktokenFile.load(file);
        int n = tok.vocabSize();
        Map<String, Integer> ranks = new HashMap<>(n * 2);
        for (int id = 0; id < n; id++) {
            if (tok.token(id) != null && !tok.isSpecial(id)) {
                ranks.put(tok.token(id), id);
            }
        }
        List<String> merges = new ArrayList<>();
        List<int[]> local = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            String t = tok.token(id);
            if (t == null || tok.isSpecial(id)) {
                continue;
            }
            local.clear();
            // byte-level tokens spell one character per byte, so every character boundary is a byte boundary
            for (int cut = 1; cut < t.length(); cut++) {
                Integer l = ranks.get(t.substring(0, cut));
                Integer r = ranks.get(t.substring(cut));
                if (l != null && r != null) {
                    local.add(new int[] {l, r, cut});
                }
            }
            local.sort(Comparator.<int[]>comparingInt(a -> a[0]).thenComparingInt(a -> a[1]));
            for (int[] s : local) {
                merges.add(t.substring(0, s[2]) + " " + t.substring(s[2]));
            }
        }
        Map<String, String> defaults = Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|end_of_text|>");
        Boolean addBos = config != null && config.addBosToken() != null ? null : Boolean.TRUE;
        return metadata(tok, "llama-bpe", merges, config, defaults, addBos);
    }

    private static Map<String, GgufValue> metadata(AbstractTokenizer tok, String pre, List<String> merges,
            HfTokenizerConfig config, Map<String, String> defaults, Boolean addBos) throws FormatException {
        int n = tok.vocabSize();
        List<String> tokens = new ArrayList<>(n);
        List<Integer> types = new ArrayList<>(n);
        for (int id = 0; id < n; id++) {
            String t = tok.token(id);
            if (t == null) {
                tokens.add("[PAD" + id + "]");
                types.add(TokenType.UNUSED.code());
            } else {
                tokens.add(t);
                // the loaders declare exactly the added tokens (all special in both formats) as special
                types.add((tok.isSpecial(id) ? TokenType.CONTROL : TokenType.NORMAL).code());
            }
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.string(pre));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        m.put("tokenizer.ggml.merges", GgufValue.array(GgufValueType.STRING, merges));
        SpecialVocabulary.put(m, config, tokens, defaults);
        if (addBos != null) {
            m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(addBos));
        }
        return m;
    }
}
