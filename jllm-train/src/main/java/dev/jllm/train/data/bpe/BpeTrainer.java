package dev.jllm.train.data.bpe;

import dev.jllm.formats.tokenizer.bpe.ByteLevelAlphabet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Byte-level BPE training (GPT-2 style). Ids: the special tokens first, then the 256 byte symbols
 * ordered by the code point of their {@link ByteLevelAlphabet} character (as Hugging Face tokenizers
 * and GPT-2 order them), then merged tokens in the order they are made. Each step merges the adjacent
 * pair with the highest count over all word occurrences (overlapping pairs such as {@code a a} in
 * {@code aaa} count at every position); ties go to the pair with the smaller left id, then the smaller
 * right id (Hugging Face's rule). Training stops when the vocabulary, specials included, has the
 * requested size, when no pair is left, or when the best count falls below the minimum frequency.
 * On the same words this gives Hugging Face's BpeTrainer's merges in the same order (checked in the tests;
 * note that HF's {@code train(files)} splits each line on its own, jllm the whole text).
 *
 * <p>Counts are kept incrementally: each pair knows the words it occurs in, a merge visits only
 * those words, and a priority queue with lazy deletion finds the best pair (stale entries are
 * dropped or re-queued with their current count when they reach the top).
 */
public final class BpeTrainer {
    private final int vocabSize;
    private final long minFrequency;
    private final List<String> specialTokens;

    /**
     * @param vocabSize the vocabulary size to reach, special tokens included
     * @param minFrequency the smallest count a pair needs to be merged (at least 1)
     * @param specialTokens special tokens, given ids 0 .. n-1
     * @throws IllegalArgumentException when the size cannot hold the 256 bytes and the special tokens,
     *                                  or a special token is empty or repeated
     */
    public BpeTrainer(int vocabSize, long minFrequency, List<String> specialTokens) {
        if (vocabSize < 256 + specialTokens.size()) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is smaller than the 256 byte symbols + "
                    + specialTokens.size() + " special token" + (specialTokens.size() == 1 ? "" : "s") + " = "
                    + (256 + specialTokens.size()));
        }
        if (minFrequency < 1) {
            throw new IllegalArgumentException("minimum frequency " + minFrequency + " must be at least 1");
        }
        if (new HashSet<>(specialTokens).size() != specialTokens.size() || specialTokens.contains("")) {
            throw new IllegalArgumentException("special tokens must be distinct and non-empty: " + specialTokens);
        }
        for (String t : specialTokens) {
            if (t.length() == 1 && ByteLevelAlphabet.byteOf(t.charAt(0)) >= 0) {
                throw new IllegalArgumentException("special token '" + t + "' is spelled like a byte symbol");
            }
        }
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
        this.specialTokens = List.copyOf(specialTokens);
    }

    /** The 256 byte-level characters in id order (by code point). */
    static char[] byteAlphabet() {
        char[] chars = new char[256];
        for (int b = 0; b < 256; b++) {
            chars[b] = ByteLevelAlphabet.charOf(b);
        }
        java.util.Arrays.sort(chars);
        return chars;
    }

    /**
     * Learns merges from word counts.
     *
     * @param regex the pre-tokenizer pattern the counts were made with, recorded in the result
     */
    public TrainedBpe train(WordCounts counts, String regex) {
        List<String> tokens = new ArrayList<>(specialTokens);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            ids.put(tokens.get(i), i);
        }
        int[] idOfByteChar = new int[512];
        for (char c : byteAlphabet()) {
            String s = String.valueOf(c);
            idOfByteChar[c] = tokens.size();
            ids.put(s, tokens.size());
            tokens.add(s);
        }
        List<String> words = counts.sortedWords();
        int n = words.size();
        int[][] symbols = new int[n][];
        int[] lengths = new int[n];
        long[] freq = new long[n];
        for (int w = 0; w < n; w++) {
            String word = words.get(w);
            int[] s = new int[word.length()];
            for (int i = 0; i < s.length; i++) {
                s[i] = idOfByteChar[word.charAt(i)];
            }
            symbols[w] = s;
            lengths[w] = s.length;
            freq[w] = counts.count(word);
        }
        PairCounts pairs = new PairCounts(symbols, lengths, freq);
        List<String[]> merges = new ArrayList<>();
        while (tokens.size() < vocabSize) {
            PairCounts.Pair best = pairs.pollBest();
            if (best == null || best.count < minFrequency) {
                break;
            }
            String merged = tokens.get(best.left) + tokens.get(best.right);
            Integer existing = ids.get(merged);
            int id;
            if (existing != null) {
                id = existing; // two merges spelling the same string share one token
            } else {
                id = tokens.size();
                ids.put(merged, id);
                tokens.add(merged);
            }
            merges.add(new String[] {tokens.get(best.left), tokens.get(best.right)});
            pairs.merge(best, id);
        }
        return new TrainedBpe(List.copyOf(tokens), List.copyOf(merges), specialTokens, regex);
    }

    /** Adjacent-pair counts over all words, kept up to date as merges rewrite the words. */
    static final class PairCounts {
        /** One adjacent pair of symbol ids with its count and the words it (may) occur in. */
        static final class Pair {
            final int left;
            final int right;
            long count;
            int[] words = new int[4];
            int wordCount;
            long changedAtStep = -1;

            Pair(int left, int right) {
                this.left = left;
                this.right = right;
            }

            void addWord(int w) {
                // a word is added again only right after itself: keep the list free of those repeats
                if (wordCount > 0 && words[wordCount - 1] == w) {
                    return;
                }
                if (wordCount == words.length) {
                    words = java.util.Arrays.copyOf(words, wordCount * 2);
                }
                words[wordCount++] = w;
            }
        }

        /** A queue entry: the pair's count when queued. */
        private record Candidate(Pair pair, long count) {
        }

        private final int[][] symbols;
        private final int[] lengths;
        private final long[] freq;
        private final Map<Long, Pair> pairs = new HashMap<>();
        private final PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> {
            if (a.count != b.count) {
                return Long.compare(b.count, a.count);
            }
            if (a.pair.left != b.pair.left) {
                return Integer.compare(a.pair.left, b.pair.left);
            }
            return Integer.compare(a.pair.right, b.pair.right);
        });
        private final List<Pair> increased = new ArrayList<>();
        private long step;

        PairCounts(int[][] symbols, int[] lengths, long[] freq) {
            this.symbols = symbols;
            this.lengths = lengths;
            this.freq = freq;
            for (int w = 0; w < symbols.length; w++) {
                int[] s = symbols[w];
                for (int i = 0; i + 1 < lengths[w]; i++) {
                    add(s[i], s[i + 1], freq[w], w);
                }
            }
            for (Pair p : pairs.values()) {
                queue.add(new Candidate(p, p.count));
            }
            increased.clear();
        }

        /** The pair with the highest count (ties: smaller left id, then right id), or null when none is left. */
        Pair pollBest() {
            while (!queue.isEmpty()) {
                Candidate c = queue.poll();
                Pair p = c.pair;
                if (c.count == p.count) {
                    return p;
                }
                // stale entry: counts of existing pairs only fall between queueing, so re-queue the lower count
                if (p.count > 0 && p.count < c.count) {
                    queue.add(new Candidate(p, p.count));
                }
            }
            return null;
        }

        /** Replaces every occurrence of {@code pair} (left to right, not overlapping) by {@code id}. */
        void merge(Pair pair, int id) {
            step++;
            int a = pair.left;
            int b = pair.right;
            for (int k = 0; k < pair.wordCount; k++) {
                int w = pair.words[k];
                int[] s = symbols[w];
                int n = lengths[w];
                long f = freq[w];
                int out = 0;
                int i = 0;
                while (i < n) {
                    if (i + 1 < n && s[i] == a && s[i + 1] == b) {
                        if (out > 0) {
                            int prev = s[out - 1];
                            add(prev, a, -f, w);
                            add(prev, id, f, w);
                        }
                        if (i + 2 < n) {
                            int next = s[i + 2];
                            add(b, next, -f, w);
                            add(id, next, f, w);
                        }
                        s[out++] = id;
                        i += 2;
                    } else {
                        s[out++] = s[i++];
                    }
                }
                lengths[w] = out;
            }
            pairs.remove(key(a, b));
            pair.count = 0;
            pair.words = null;
            pair.wordCount = 0;
            for (Pair p : increased) {
                if (p.count > 0 && p != pair) {
                    queue.add(new Candidate(p, p.count));
                }
            }
            increased.clear();
        }

        private void add(int left, int right, long delta, int word) {
            long key = key(left, right);
            Pair p = pairs.get(key);
            if (p == null) {
                if (delta <= 0) {
                    return;
                }
                p = new Pair(left, right);
                pairs.put(key, p);
            }
            p.count += delta;
            if (delta > 0) {
                p.addWord(word);
                if (p.changedAtStep != step) {
                    p.changedAtStep = step;
                    increased.add(p);
                }
            }
        }

        private static long key(int left, int right) {
            return ((long) left << 32) | (right & 0xFFFFFFFFL);
        }
    }
}
