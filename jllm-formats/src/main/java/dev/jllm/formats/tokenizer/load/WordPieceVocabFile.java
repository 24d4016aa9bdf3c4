package dev.jllm.formats.tokenizer.load;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.tokenizer.SpecialTokens;
import dev.jllm.formats.tokenizer.wordpiece.BertNormalizer;
import dev.jllm.formats.tokenizer.wordpiece.WordPieceTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** BERT's {@code vocab.txt}: one token per line, the line number being the id. */
public final class WordPieceVocabFile {
    private WordPieceVocabFile() {
    }

    /**
     * Loads the vocabulary with BERT's defaults: [CLS] text [SEP] on encode, [UNK], [PAD], [MASK]
     * and [SEP]/[CLS] matched as special tokens.
     *
     * @param uncased whether to lower-case and strip accents (the -uncased models)
     */
    public static WordPieceTokenizer load(Path vocabTxt, boolean uncased) throws IOException {
        List<String> lines = Files.readAllLines(vocabTxt, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new FormatException(vocabTxt, -1, "", "empty vocabulary");
        }
        String[] tokens = new String[lines.size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = lines.get(i).strip();
        }
        java.util.Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            ids.putIfAbsent(tokens[i], i);
        }
        int unk = ids.getOrDefault("[UNK]", -1);
        WordPieceTokenizer tok = new WordPieceTokenizer(tokens, null, new BertNormalizer(uncased, uncased, true), "##",
                100, unk, true);
        for (String s : new String[] {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
            Integer id = ids.get(s);
            if (id != null) {
                tok.addToken(id, s, true);
            }
        }
        int cls = ids.getOrDefault("[CLS]", -1);
        int sep = ids.getOrDefault("[SEP]", -1);
        tok.setSpecialTokens(new SpecialTokens(cls, sep >= 0 ? new int[] {sep} : new int[0],
                ids.getOrDefault("[PAD]", -1), unk, cls >= 0, sep >= 0));
        return tok;
    }
}
