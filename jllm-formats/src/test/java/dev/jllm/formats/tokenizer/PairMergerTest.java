package dev.jllm.formats.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.jllm.formats.tokenizer.bpe.MergeTable;
import dev.jllm.formats.tokenizer.bpe.PairMerger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The heap merge loop against the plain one (scan for the best pair, leftmost on ties) on random tables. */
class PairMergerTest {

    private static int[] reference(int[] symbols, MergeTable table) {
        List<Integer> s = new ArrayList<>();
        for (int x : symbols) {
            s.add(x);
        }
        while (true) {
            int bestPos = -1;
            long best = Long.MAX_VALUE;
            for (int i = 0; i + 1 < s.size(); i++) {
                long v = table.get(s.get(i), s.get(i + 1));
                if (v >= 0 && (v >>> 32) < best) {
                    best = v >>> 32;
                    bestPos = i;
                }
            }
            if (bestPos < 0) {
                return s.stream().mapToInt(Integer::intValue).toArray();
            }
            long v = table.get(s.get(bestPos), s.get(bestPos + 1));
            s.set(bestPos, (int) v);
            s.remove(bestPos + 1);
        }
    }

    @Test
    void heapLoopEqualsPlainLoop() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            int alphabet = 2 + rnd.nextInt(5);
            MergeTable table = new MergeTable(16);
            int next = alphabet;
            for (int m = 0; m < 3 + rnd.nextInt(30); m++) {
                // priorities repeat on purpose: SentencePiece scores tie, and ties go to the leftmost pair
                table.put(rnd.nextInt(next), rnd.nextInt(next), rnd.nextInt(8), next++);
            }
            int[] word = new int[1 + rnd.nextInt(40)];
            for (int i = 0; i < word.length; i++) {
                word[i] = rnd.nextInt(10) == 0 ? -1 - rnd.nextInt(3) : rnd.nextInt(alphabet);
            }
            assertArrayEquals(reference(word, table), PairMerger.merge(word, table), Arrays.toString(word));
        }
    }
}
