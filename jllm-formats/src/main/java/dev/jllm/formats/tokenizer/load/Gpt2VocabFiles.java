package dev.jllm.formats.tokenizer.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.tokenizer.SpecialTokens;
import dev.jllm.formats.tokenizer.bpe.ByteLevelBpeTokenizer;
import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** GPT-2's {@code vocab.json} (token to id) and {@code merges.txt} (one "left right" per line, by rank). */
public final class Gpt2VocabFiles {
    private Gpt2VocabFiles() {
    }

    /** Loads the pair; {@code <|endoftext|>} becomes BOS/EOS (not added on encode, as GPT-2 does not). */
    public static ByteLevelBpeTokenizer load(Path vocabJson, Path mergesTxt) throws IOException {
        JsonNode v = HfTokenizerJson.readJson(vocabJson);
        if (!v.isObject()) {
            throw new FormatException(vocabJson, -1, "", "expected an object of token to id");
        }
        Map<String, Integer> vocab = new HashMap<>();
        int max = -1;
        var it = v.properties().iterator();
        while (it.hasNext()) {
            var e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0 || !e.getValue().canConvertToInt()) {
                throw new FormatException(vocabJson, -1, e.getKey(), "id is not a non-negative integer");
            }
            vocab.put(e.getKey(), id);
            max = Math.max(max, id);
        }
        String[] tokens = new String[max + 1];
        vocab.forEach((t, id) -> tokens[id] = t);
        List<String[]> merges = new ArrayList<>();
        List<String> lines = Files.readAllLines(mergesTxt, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("#version") || line.isBlank()) {
                continue;
            }
            int sp = line.indexOf(' ', 1);
            if (sp < 0) {
                throw new FormatException(mergesTxt, -1, "line " + (i + 1), "expected 'left right'");
            }
            merges.add(new String[] {line.substring(0, sp), line.substring(sp + 1)});
        }
        ByteLevelBpeTokenizer tok = new ByteLevelBpeTokenizer(tokens, null,
                ByteLevelBpeTokenizer.mergesFromPairs(merges, vocab), new PreTokenizer(List.of(PreTokenizer.GPT2), false),
                false);
        tok.setCleanUpSpaces(true); // GPT2Tokenizer's default
        Integer eot = vocab.get("<|endoftext|>");
        if (eot != null) {
            tok.addToken(eot, "<|endoftext|>", true);
            tok.setSpecialTokens(new SpecialTokens(eot, new int[] {eot}, -1, eot, false, false));
        }
        return tok;
    }
}
