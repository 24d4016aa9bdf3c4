package dev.jllm.formats.tokenizer.sentencepiece;

import dev.jllm.formats.tokenizer.AbstractTokenizer;
import dev.jllm.formats.tokenizer.IdBuffer;
import dev.jllm.formats.tokenizer.TokenType;
import dev.jllm.formats.tokenizer.bpe.MergeTable;
import dev.jllm.formats.tokenizer.bpe.PairMerger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SentencePiece BPE (Llama 2, TinyLlama, Phi-3, Mistral v1): spaces become {@code ▁}, a dummy
 * {@code ▁} goes in front, characters merge by piece score (or by merge rank from a
 * {@code tokenizer.json}), and characters with no piece fall back to {@code <0xAB>} byte pieces.
 */
public final class SentencePieceBpeTokenizer extends AbstractTokenizer {
    /** The character SentencePiece writes for a space. */
    public static final char SPACE = '\u2581';
    private static final int CACHE_LIMIT = 1 << 18;

    private final MergeTable merges;
    private final boolean byteFallback;
    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespace;
    private final int unk;
    private final int[] byteIds = new int[256];
    private final boolean splitAtSpaces;
    private boolean prefixOnlyAtStart;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param pieces piece strings by id
     * @param types piece kinds by id
     * @param merges pair merges (from scores or merge ranks)
     * @param byteFallback whether characters without a piece become byte pieces (else unk)
     * @param addDummyPrefix whether {@code ▁} is put in front of each text
     * @param removeExtraWhitespace whether leading, trailing and repeated spaces are dropped
     * @param unk the unknown id, or -1
     */
    public SentencePieceBpeTokenizer(String[] pieces, TokenType[] types, MergeTable merges, boolean byteFallback,
                                     boolean addDummyPrefix, boolean removeExtraWhitespace, int unk) {
        super(pieces, types);
        this.merges = merges;
        this.byteFallback = byteFallback;
        this.addDummyPrefix = addDummyPrefix;
        this.removeExtraWhitespace = removeExtraWhitespace;
        this.unk = unk;
        for (int b = 0; b < 256; b++) {
            Integer id = idsByToken.get(String.format("<0x%02X>", b));
            byteIds[b] = id == null ? -1 : id;
        }
        // Words can be encoded apart only if no piece has a ▁ after another character.
        boolean safe = true;
        for (String p : pieces) {
            if (p != null && p.length() > 1) {
                for (int i = 1; i < p.length() && safe; i++) {
                    if (p.charAt(i) == SPACE && p.charAt(i - 1) != SPACE) {
                        safe = false;
                    }
                }
            }
        }
        this.splitAtSpaces = safe;
    }

    /**
     * Merge table from piece scores: a pair merges when its concatenation is a normal or
     * user-defined piece; a higher score merges first, equal scores merge leftmost first.
     */
    public static MergeTable mergesFromScores(String[] pieces, TokenType[] types, float[] scores,
                                              Map<String, Integer> ids) {
        TreeSet<Float> distinct = new TreeSet<>();
        for (float s : scores) {
            distinct.add(-s);
        }
        Float[] order = distinct.toArray(new Float[0]);
        MergeTable table = new MergeTable(pieces.length * 4);
        for (int id = 0; id < pieces.length; id++) {
            String p = pieces[id];
            if (p == null || p.codePointCount(0, p.length()) < 2
                    || (types[id] != TokenType.NORMAL && types[id] != TokenType.USER_DEFINED)) {
                continue;
            }
            int rank = Arrays.binarySearch(order, -scores[id]);
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                Integer l = ids.get(p.substring(0, k));
                Integer r = ids.get(p.substring(k));
                if (l != null && r != null) {
                    table.put(l, r, rank, id);
                }
            }
        }
        return table;
    }

    /**
     * Puts the dummy prefix only in front of the whole text, not after added tokens (HF Metaspace
     * {@code prepend_scheme: "first"}); by default every stretch gets it, as llama.cpp does.
     */
    public void setPrefixOnlyAtStart(boolean onlyAtStart) {
        this.prefixOnlyAtStart = onlyAtStart;
    }

    /** The normalised text the model sees: spaces as {@code ▁}, dummy prefix added when asked. */
    String normalize(String text, boolean addPrefix) {
        String t = text;
        if (removeExtraWhitespace) {
            t = t.replaceAll("^ +| +$", "").replaceAll(" {2,}", " ");
            if (t.isEmpty()) {
                return "";
            }
        }
        if (addPrefix) {
            t = " " + t;
        }
        return t.replace(' ', SPACE);
    }

    @Override
    protected void encodeText(String text, boolean atTextStart, IdBuffer out) {
        String norm = normalize(text, addDummyPrefix && (atTextStart || !prefixOnlyAtStart));
        if (norm.isEmpty()) {
            return;
        }
        if (!splitAtSpaces) {
            encodeWord(norm, out);
            return;
        }
        int start = 0;
        for (int i = 1; i < norm.length(); i++) {
            if (norm.charAt(i) == SPACE && norm.charAt(i - 1) != SPACE) {
                encodeWord(norm.substring(start, i), out);
                start = i;
            }
        }
        encodeWord(norm.substring(start), out);
    }

    private void encodeWord(String word, IdBuffer out) {
        int[] ids = cache.get(word);
        if (ids == null) {
            IdBuffer buf = new IdBuffer();
            int[] cps = word.codePoints().toArray();
            int[] syms = new int[cps.length];
            for (int i = 0; i < cps.length; i++) {
                Integer id = idsByToken.get(Character.toString(cps[i]));
                syms[i] = id != null ? id : -1 - cps[i];
            }
            boolean prevUnk = false;
            for (int s : PairMerger.merge(syms, merges)) {
                if (s >= 0) {
                    buf.add(s);
                    prevUnk = false;
                    continue;
                }
                byte[] bytes = Character.toString(-1 - s).getBytes(StandardCharsets.UTF_8);
                if (byteFallback && allBytesKnown(bytes)) {
                    for (byte b : bytes) {
                        buf.add(byteIds[b & 0xFF]);
                    }
                    prevUnk = false;
                } else if (!prevUnk && unk >= 0) {
                    buf.add(unk); // consecutive unknown characters become one unk
                    prevUnk = true;
                }
            }
            ids = buf.toArray();
            if (cache.size() < CACHE_LIMIT && word.length() <= 256) { // long rare words would only fill memory
                cache.put(word, ids);
            }
        }
        out.addAll(ids);
    }

    private boolean allBytesKnown(byte[] bytes) {
        for (byte b : bytes) {
            if (byteIds[b & 0xFF] < 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    protected byte[] modelPieceBytes(int id, boolean atStart) {
        return pieceText(tokens[id], types[id], atStart, addDummyPrefix);
    }

    /** Decoded bytes of a SentencePiece piece: byte pieces as their byte, control pieces as nothing. */
    static byte[] pieceText(String piece, TokenType type, boolean atStart, boolean dropLeadingSpace) {
        if (type == TokenType.CONTROL) {
            return new byte[0];
        }
        if (type == TokenType.BYTE && piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
        }
        String s = piece.replace(SPACE, ' ');
        if (atStart && dropLeadingSpace && s.startsWith(" ")) {
            s = s.substring(1);
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
