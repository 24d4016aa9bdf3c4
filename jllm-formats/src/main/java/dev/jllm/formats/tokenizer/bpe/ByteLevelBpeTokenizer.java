package dev.jllm.formats.tokenizer.bpe;

import dev.jllm.formats.tokenizer.AbstractTokenizer;
import dev.jllm.formats.tokenizer.IdBuffer;
import dev.jllm.formats.tokenizer.TokenType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE (GPT-2, Llama 3, Qwen2, DeepSeek, tiktoken): text is split into words by the
 * pre-tokenizer, each word's UTF-8 bytes start as one symbol each and merge by priority. Token
 * strings are written in {@link ByteLevelAlphabet}. Encodings of words are cached.
 */
public final class ByteLevelBpeTokenizer extends AbstractTokenizer {
    private static final int CACHE_LIMIT = 1 << 18;

    private final MergeRule merges;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final int[] byteIds = new int[256];
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param tokens byte-level token strings by id
     * @param types token kinds, or null
     * @param merges pair merges with priorities
     * @param preTokenizer word splitter
     * @param ignoreMerges whether a word that is itself a token is taken whole (Llama 3, tiktoken)
     * @throws IllegalArgumentException if a byte has no token
     */
    public ByteLevelBpeTokenizer(String[] tokens, TokenType[] types, MergeRule merges, PreTokenizer preTokenizer,
                                 boolean ignoreMerges) {
        super(tokens, types);
        this.merges = merges;
        this.preTokenizer = preTokenizer;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            Integer id = idsByToken.get(String.valueOf(ByteLevelAlphabet.charOf(b)));
            byteIds[b] = id == null ? -1 : id;
        }
    }

    /** Builds the merge table from ordered merges "left right" (rank = line index). */
    public static MergeTable mergesFromPairs(List<String[]> pairs, java.util.Map<String, Integer> vocab) {
        MergeTable table = new MergeTable(pairs.size());
        for (int rank = 0; rank < pairs.size(); rank++) {
            String[] p = pairs.get(rank);
            Integer l = vocab.get(p[0]);
            Integer r = vocab.get(p[1]);
            Integer m = vocab.get(p[0] + p[1]);
            if (l != null && r != null && m != null) {
                table.put(l, r, rank, m);
            }
        }
        return table;
    }

    @Override
    protected void encodeText(String text, boolean atTextStart, IdBuffer out) {
        for (String word : preTokenizer.split(text)) {
            int[] ids = cache.get(word);
            if (ids == null) {
                ids = encodeWord(word);
                if (cache.size() < CACHE_LIMIT && word.length() <= 256) { // long rare words would only fill memory
                    cache.put(word, ids);
                }
            }
            out.addAll(ids);
        }
    }

    private int[] encodeWord(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            Integer whole = idsByToken.get(ByteLevelAlphabet.encode(bytes));
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int[] syms = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            syms[i] = byteIds[bytes[i] & 0xFF];
        }
        int[] merged = PairMerger.merge(syms, merges);
        int n = 0;
        for (int id : merged) {
            if (id >= 0) {
                merged[n++] = id; // bytes without a token are dropped, as llama.cpp does
            }
        }
        return n == merged.length ? merged : java.util.Arrays.copyOf(merged, n);
    }

    @Override
    protected byte[] modelPieceBytes(int id, boolean atStart) {
        String t = tokens[id];
        byte[] b = ByteLevelAlphabet.decode(t);
        return b != null ? b : t.getBytes(StandardCharsets.UTF_8);
    }
}
