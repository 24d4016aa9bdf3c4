package dev.jllm.train.data.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.tokenizer.bpe.ByteLevelAlphabet;
import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The incremental trainer against a naive one written here that recounts every pair after each merge. */
class BpeTrainerTest {
    private static final List<String> SPECIALS = List.of("<|endoftext|>");

    /** Reference: recount all adjacent pairs after every merge; same id and tie rules as documented. */
    static TrainedBpe naiveTrain(WordCounts counts, int vocabSize, long minFrequency, List<String> specials) {
        List<String> tokens = new ArrayList<>(specials);
        Map<String, Integer> ids = new HashMap<>();
        for (String s : specials) {
            ids.put(s, ids.size());
        }
        List<Integer> byteChars = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            byteChars.add((int) ByteLevelAlphabet.charOf(b));
        }
        byteChars.sort(null);
        for (int c : byteChars) {
            ids.put(String.valueOf((char) c), tokens.size());
            tokens.add(String.valueOf((char) c));
        }
        List<String> words = counts.sortedWords();
        List<List<Integer>> split = new ArrayList<>();
        for (String w : words) {
            List<Integer> s = new ArrayList<>();
            for (char c : w.toCharArray()) {
                s.add(ids.get(String.valueOf(c)));
            }
            split.add(s);
        }
        List<String[]> merges = new ArrayList<>();
        while (tokens.size() < vocabSize) {
            Map<List<Integer>, Long> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<Integer> s = split.get(w);
                for (int i = 0; i + 1 < s.size(); i++) {
                    pairCounts.merge(List.of(s.get(i), s.get(i + 1)), counts.count(words.get(w)), Long::sum);
                }
            }
            List<Integer> best = null;
            long bestCount = 0;
            for (var e : pairCounts.entrySet()) {
                List<Integer> p = e.getKey();
                long c = e.getValue();
                boolean better = best == null || c > bestCount || (c == bestCount && (p.get(0) < best.get(0)
                        || (p.get(0).equals(best.get(0)) && p.get(1) < best.get(1))));
                if (better) {
                    best = p;
                    bestCount = c;
                }
            }
            if (best == null || bestCount < minFrequency) {
                break;
            }
            String merged = tokens.get(best.get(0)) + tokens.get(best.get(1));
            Integer id = ids.get(merged);
            if (id == null) {
                id = tokens.size();
                ids.put(merged, id);
                tokens.add(merged);
            }
            merges.add(new String[] {tokens.get(best.get(0)), tokens.get(best.get(1))});
            for (List<Integer> s : split) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(best.get(0)) && s.get(i + 1).equals(best.get(1))) {
                        s.set(i, id);
                        s.remove(i + 1);
                    }
                }
            }
        }
        return new TrainedBpe(tokens, merges, specials, "");
    }

    static String randomText(SplittableRandom r, int length, String alphabet) {
        int[] cps = alphabet.codePoints().toArray();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.appendCodePoint(cps[r.nextInt(cps.length)]);
        }
        return sb.toString();
    }

    @Test
    void matchesNaiveTrainerOnRandomCorpora() {
        SplittableRandom r = new SplittableRandom(42);
        String[] alphabets = {"ab ", "aab  c\n", "abcé日 \n\t1!", "aaaa"};
        for (int trial = 0; trial < 24; trial++) {
            String alphabet = alphabets[trial % alphabets.length];
            String text = randomText(r, 200 + r.nextInt(1500), alphabet);
            if (trial % 3 == 0) {
                text = text + "<|endoftext|>" + text.substring(0, text.length() / 2);
            }
            WordCounts counts = new WordCounts(trial % 2 == 0 ? PreTokenizer.LLAMA3 : PreTokenizer.GPT2, SPECIALS);
            counts.addText(text);
            int vocab = 257 + r.nextInt(120);
            long minFrequency = 1 + r.nextInt(3);
            TrainedBpe fast = new BpeTrainer(vocab, minFrequency, SPECIALS).train(counts, PreTokenizer.LLAMA3);
            TrainedBpe naive = naiveTrain(counts, vocab, minFrequency, SPECIALS);
            assertEquals(naive.merges().size(), fast.merges().size(), "merge count, trial " + trial);
            for (int i = 0; i < naive.merges().size(); i++) {
                assertArrayEquals(naive.merges().get(i), fast.merges().get(i), "merge " + i + ", trial " + trial);
            }
            assertEquals(naive.tokens(), fast.tokens(), "trial " + trial);
            assertTrue(fast.vocabSize() <= vocab);
        }
    }

    @Test
    void reachesTheVocabularySizeWhenTheCorpusAllows() {
        WordCounts counts = new WordCounts(PreTokenizer.GPT2, SPECIALS);
        counts.addText(randomText(new SplittableRandom(7), 20_000, "abcdefgh ijk"));
        TrainedBpe bpe = new BpeTrainer(400, 2, SPECIALS).train(counts, PreTokenizer.GPT2);
        assertEquals(400, bpe.vocabSize());
        assertEquals("<|endoftext|>", bpe.tokens().get(0));
        assertEquals("!", bpe.tokens().get(1)); // byte symbols ordered by code point, as GPT-2's vocab
    }

    @Test
    void specialTokensAreCutOutAndWordsAreByteLevel() {
        WordCounts counts = new WordCounts(PreTokenizer.GPT2, SPECIALS);
        counts.addText("hi<|endoftext|>hi hé");
        assertEquals(2, counts.count("hi"));
        assertEquals(1, counts.count(ByteLevelAlphabet.encode(" hé".getBytes(StandardCharsets.UTF_8))));
        assertEquals(0, counts.count("<|"));
        assertEquals(2, counts.distinct());
        assertEquals("hihi hé".getBytes(StandardCharsets.UTF_8).length, counts.bytes());
    }

    @Test
    void wordsAreThoseOfTheLoaderPreTokenizer() {
        SplittableRandom r = new SplittableRandom(9);
        for (String regex : new String[] {PreTokenizer.LLAMA3, PreTokenizer.GPT2}) {
            for (int trial = 0; trial < 20; trial++) {
                String text = randomText(r, 300, "ab Z9'\n\r\t.,é日🙂 ");
                WordCounts counts = new WordCounts(regex, List.of());
                counts.addText(text);
                Map<String, Long> want = new HashMap<>();
                for (String w : new PreTokenizer(List.of(regex), false).split(text)) {
                    want.merge(ByteLevelAlphabet.encode(w.getBytes(StandardCharsets.UTF_8)), 1L, Long::sum);
                }
                assertEquals(want.size(), counts.distinct());
                for (var e : want.entrySet()) {
                    assertEquals(e.getValue(), counts.count(e.getKey()), e.getKey());
                }
                assertEquals(text.getBytes(StandardCharsets.UTF_8).length, counts.bytes());
            }
        }
    }

    @Test
    void rejectsSizesTooSmallAndBadSpecials() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(256, 2, SPECIALS));
        assertTrue(e.getMessage().contains("257"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, 2, List.of("a", "a")));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, 2, List.of("a")));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, 0, SPECIALS));
    }
}
