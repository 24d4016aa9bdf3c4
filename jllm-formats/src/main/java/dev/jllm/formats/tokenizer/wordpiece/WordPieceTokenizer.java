package dev.jllm.formats.tokenizer.wordpiece;

import dev.jllm.formats.tokenizer.AbstractTokenizer;
import dev.jllm.formats.tokenizer.IdBuffer;
import dev.jllm.formats.tokenizer.TokenType;
import java.nio.charset.StandardCharsets;

/**
 * WordPiece (BERT): each word from {@link BertNormalizer} is cut greedily into the longest
 * vocabulary pieces from the left, continuation pieces written with a {@code ##} prefix; a word
 * that cannot be cut, or longer than 100 characters, becomes [UNK].
 */
public final class WordPieceTokenizer extends AbstractTokenizer {
    private final BertNormalizer normalizer;
    private final String prefix;
    private final int maxWordChars;
    private final int unk;

    /**
     * @param tokens vocabulary by id
     * @param normalizer the BasicTokenizer settings
     * @param continuingPrefix the prefix of continuation pieces, usually {@code ##}
     * @param maxWordChars words longer than this become unk (100 in BERT)
     * @param unk the [UNK] id
     * @param cleanUpSpaces whether decode removes spaces before punctuation and contractions
     */
    public WordPieceTokenizer(String[] tokens, TokenType[] types, BertNormalizer normalizer, String continuingPrefix,
                              int maxWordChars, int unk, boolean cleanUpSpaces) {
        super(tokens, types);
        this.normalizer = normalizer;
        this.prefix = continuingPrefix;
        this.maxWordChars = maxWordChars;
        this.unk = unk;
        setCleanUpSpaces(cleanUpSpaces);
    }

    @Override
    protected void encodeText(String text, boolean atTextStart, IdBuffer out) {
        for (String word : normalizer.words(text)) {
            encodeWord(word, out);
        }
    }

    private void encodeWord(String word, IdBuffer out) {
        if (word.codePointCount(0, word.length()) > maxWordChars) {
            out.add(unk);
            return;
        }
        int mark = out.size();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            int found = -1;
            while (end > start) {
                String sub = start > 0 ? prefix + word.substring(start, end) : word.substring(start, end);
                Integer id = idsByToken.get(sub);
                if (id != null) {
                    found = id;
                    break;
                }
                end -= Character.isLowSurrogate(word.charAt(end - 1)) && end - 2 >= start ? 2 : 1;
            }
            if (found < 0) {
                out.truncate(mark);
                out.add(unk);
                return;
            }
            out.add(found);
            start = end;
        }
    }

    @Override
    protected byte[] modelPieceBytes(int id, boolean atStart) {
        String t = tokens[id];
        String s = t.startsWith(prefix) ? t.substring(prefix.length()) : (atStart ? t : " " + t);
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] pieceBytes(int id, boolean atStart) {
        if (isAdded(id)) {
            return ((atStart ? "" : " ") + tokens[id]).getBytes(StandardCharsets.UTF_8);
        }
        return super.pieceBytes(id, atStart);
    }
}
