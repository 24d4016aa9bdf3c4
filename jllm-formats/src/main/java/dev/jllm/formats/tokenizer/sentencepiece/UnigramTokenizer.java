package dev.jllm.formats.tokenizer.sentencepiece;

import dev.jllm.formats.tokenizer.AbstractTokenizer;
import dev.jllm.formats.tokenizer.IdBuffer;
import dev.jllm.formats.tokenizer.TokenType;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.function.UnaryOperator;

/**
 * SentencePiece Unigram (T5, many multilingual models): the normalised text is cut by Viterbi
 * into the pieces with the highest total log-probability score. A character no piece starts
 * with becomes unk at the lowest score minus 10; runs of unk become one, or byte pieces with byte fallback.
 */
public final class UnigramTokenizer extends AbstractTokenizer {
    private static final float UNK_PENALTY = 10f;

    private final float[] scores;
    private final boolean byteFallback;
    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespace;
    private final UnaryOperator<String> charNormalizer;
    private final int unk;
    private final int maxPieceChars;
    private final float unkScore;
    private final int[] byteIds = new int[256];

    /**
     * @param pieces piece strings
     * @param types piece kinds (control, unused and byte pieces are not matched in text)
     * @param scores piece scores (log probabilities)
     * @param byteFallback whether unknown characters become byte pieces
     * @param addDummyPrefix whether {@code ▁} goes in front
     * @param removeExtraWhitespace whether leading, trailing and repeated spaces are dropped
     * @param charNormalizer the character normalisation before whitespace handling (a precompiled charsmap, NFKC, or identity)
     * @param unk the unknown id
     */
    public UnigramTokenizer(String[] pieces, TokenType[] types, float[] scores, boolean byteFallback,
                            boolean addDummyPrefix, boolean removeExtraWhitespace, UnaryOperator<String> charNormalizer, int unk) {
        super(pieces, types);
        this.scores = scores;
        this.byteFallback = byteFallback;
        this.addDummyPrefix = addDummyPrefix;
        this.removeExtraWhitespace = removeExtraWhitespace;
        this.charNormalizer = charNormalizer;
        this.unk = unk;
        int max = 1;
        float min = Float.MAX_VALUE;
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] != null && this.types[i] == TokenType.NORMAL) {
                max = Math.max(max, pieces[i].length());
                min = Math.min(min, scores[i]);
            } else if (pieces[i] != null && this.types[i] == TokenType.USER_DEFINED) {
                max = Math.max(max, pieces[i].length());
            }
        }
        this.maxPieceChars = max;
        this.unkScore = (min == Float.MAX_VALUE ? 0f : min) - UNK_PENALTY;
        for (int b = 0; b < 256; b++) {
            Integer id = idsByToken.get(String.format("<0x%02X>", b));
            byteIds[b] = id == null ? -1 : id;
        }
    }

    /** Java's NFKC, standing in for SentencePiece's nmt_nfkc map when a model names it without carrying the map. */
    public static final UnaryOperator<String> NFKC = t -> Normalizer.normalize(t, Normalizer.Form.NFKC);

    /** The normalised text the model sees. */
    String normalize(String text) {
        String t = charNormalizer.apply(text);
        if (removeExtraWhitespace) {
            t = t.replaceAll("^ +| +$", "").replaceAll(" {2,}", " ");
        }
        if (t.isEmpty()) {
            return t;
        }
        if (addDummyPrefix) {
            t = " " + t;
        }
        return t.replace(' ', SentencePieceBpeTokenizer.SPACE);
    }

    @Override
    protected void encodeText(String text, boolean atTextStart, IdBuffer out) {
        String s = normalize(text);
        int n = s.length();
        if (n == 0) {
            return;
        }
        float[] best = new float[n + 1];
        int[] bestId = new int[n + 1];
        int[] bestStart = new int[n + 1];
        java.util.Arrays.fill(best, -Float.MAX_VALUE);
        best[0] = 0;
        for (int i = 0; i < n; i = s.offsetByCodePoints(i, 1)) {
            if (best[i] == -Float.MAX_VALUE) {
                continue;
            }
            int charEnd = s.offsetByCodePoints(i, 1);
            boolean singleCharFound = false;
            for (int end = i + 1; end <= Math.min(n, i + maxPieceChars); end++) {
                if (Character.isHighSurrogate(s.charAt(end - 1)) && end < n) {
                    continue; // never end a piece between the halves of a surrogate pair
                }
                Integer id = idsByToken.get(s.substring(i, end));
                if (id == null || !matchable(types[id])) {
                    continue;
                }
                if (end == charEnd) {
                    singleCharFound = true;
                }
                double score = best[i] + (types[id] == TokenType.USER_DEFINED ? 0.0 : scores[id]);
                if (score > best[end]) {
                    best[end] = (float) score;
                    bestId[end] = id;
                    bestStart[end] = i;
                }
            }
            if (!singleCharFound) {
                double score = best[i] + unkScore;
                if (score > best[charEnd]) {
                    best[charEnd] = (float) score;
                    bestId[charEnd] = -1;
                    bestStart[charEnd] = i;
                }
            }
        }
        // Walk back from the end, then emit in order.
        IdBuffer rev = new IdBuffer();
        IdBuffer starts = new IdBuffer();
        for (int end = n; end > 0; end = bestStart[end]) {
            rev.add(bestId[end]);
            starts.add(bestStart[end]);
        }
        boolean prevUnk = false;
        for (int k = rev.size() - 1; k >= 0; k--) {
            int id = rev.get(k);
            if (id >= 0) {
                out.add(id);
                prevUnk = false;
                continue;
            }
            int from = starts.get(k);
            int to = k == 0 ? n : starts.get(k - 1);
            if (byteFallback) {
                for (byte b : s.substring(from, to).getBytes(StandardCharsets.UTF_8)) {
                    out.add(byteIds[b & 0xFF] >= 0 ? byteIds[b & 0xFF] : unk);
                }
                prevUnk = false;
            } else if (!prevUnk) {
                out.add(unk);
                prevUnk = true;
            }
        }
    }

    private static boolean matchable(TokenType t) {
        return t == TokenType.NORMAL || t == TokenType.USER_DEFINED;
    }

    @Override
    protected byte[] modelPieceBytes(int id, boolean atStart) {
        return SentencePieceBpeTokenizer.pieceText(tokens[id], types[id], atStart, addDummyPrefix);
    }
}
