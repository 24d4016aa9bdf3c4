package dev.jllm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import dev.jllm.train.data.bpe.BpeTrainer;
import dev.jllm.train.data.bpe.TokenizerJsonWriter;
import dev.jllm.train.data.bpe.WordCounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text files to train/val shards: every document lands in exactly one split, encoded as the tokenizer does. */
class ShardBuilderTest {
    private static final String EOT = "<|endoftext|>";

    @TempDir
    Path dir;
    Tokenizer tok;
    int eot;

    @BeforeEach
    void trainTokenizer() throws IOException {
        WordCounts counts = new WordCounts(PreTokenizer.LLAMA3, List.of(EOT));
        counts.addText("the quick brown fox jumps over the lazy dog. 123 θέλω 日本語 ".repeat(20));
        Path f = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(new BpeTrainer(320, 2, List.of(EOT)).train(counts, PreTokenizer.LLAMA3), f);
        tok = TokenizerLoader.load(f);
        eot = tok.id(EOT);
    }

    private static List<String> documentsOf(Tokenizer tok, TokenShard s, int eot) {
        List<String> docs = new ArrayList<>();
        List<Integer> cur = new ArrayList<>();
        for (long i = 0; i < s.size(); i++) {
            int t = s.get(i);
            if (t == eot) {
                docs.add(tok.decode(cur.stream().mapToInt(Integer::intValue).toArray()));
                cur.clear();
            } else {
                cur.add(t);
            }
        }
        assertTrue(cur.isEmpty(), "every document ends with the end-of-text id");
        return docs;
    }

    private List<String> writeCorpus() throws IOException {
        List<String> docs = new ArrayList<>();
        StringBuilder a = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            String d = "story " + i + ": the fox " + "jumps ".repeat(i % 5) + "over dog " + i * 7 + " 日本";
            docs.add(d);
            a.append(d).append(EOT);
        }
        a.append("\n").append(EOT); // blank documents are dropped
        Files.writeString(dir.resolve("a.txt"), a);
        String b = "a second file, one document, with <|pad|> written in it";
        docs.add(b);
        Files.writeString(dir.resolve("b.txt"), b);
        return docs;
    }

    @Test
    void documentsSplitBetweenTrainAndValidation() throws IOException {
        List<String> docs = writeCorpus();
        List<Path> inputs = List.of(dir.resolve("a.txt"), dir.resolve("b.txt"));
        ShardBuilder.Summary sum = new ShardBuilder(tok, eot, EOT).build(inputs, 0.25, 3, dir.resolve("out"));
        assertEquals(21, sum.documents());
        assertEquals(5, sum.validationDocuments()); // round(21 × 0.25)
        try (TokenShards shards = TokenShards.open(dir.resolve("out"))) {
            assertEquals(tok.vocabSize(), shards.vocabSize());
            List<String> train = documentsOf(tok, shards.train(), eot);
            List<String> val = documentsOf(tok, shards.validation(), eot);
            assertEquals(16, train.size());
            assertEquals(5, val.size());
            assertEquals(sum.trainTokens(), shards.train().size());
            assertEquals(sum.validationTokens(), shards.validation().size());
            List<String> all = new ArrayList<>(train);
            all.addAll(val);
            assertEquals(new HashSet<>(docs), new HashSet<>(all));
            assertEquals(docs.size(), all.size());
            // each split keeps input order
            assertTrue(isSubsequence(train, docs) && isSubsequence(val, docs));
            long total = 0;
            for (String d : docs) {
                total += tok.encode(d, false, false).length + 1;
            }
            assertEquals(total, sum.trainTokens() + sum.validationTokens());
        }
        byte[] first = Files.readAllBytes(dir.resolve("out/val.bin"));
        new ShardBuilder(tok, eot, EOT).build(inputs, 0.25, 3, dir.resolve("again"));
        assertArrayEquals(first, Files.readAllBytes(dir.resolve("again/val.bin")), "same seed, same split");
        new ShardBuilder(tok, eot, EOT).build(inputs, 0.25, 4, dir.resolve("other"));
        try (TokenShards a = TokenShards.open(dir.resolve("out")); TokenShards b = TokenShards.open(dir.resolve("other"))) {
            Set<String> va = new HashSet<>(documentsOf(tok, a.validation(), eot));
            Set<String> vb = new HashSet<>(documentsOf(tok, b.validation(), eot));
            assertNotEquals(va, vb, "another seed draws other documents");
        }
    }

    private static boolean isSubsequence(List<String> part, List<String> whole) {
        int j = 0;
        for (String w : whole) {
            if (j < part.size() && part.get(j).equals(w)) {
                j++;
            }
        }
        return j == part.size();
    }

    @Test
    void oneLongDocumentSplitsAtTheTail() throws IOException {
        String text = "one long document about the quick brown fox. ".repeat(30);
        Files.writeString(dir.resolve("one.txt"), text);
        ShardBuilder.Summary sum = new ShardBuilder(tok, eot, null)
                .build(List.of(dir.resolve("one.txt")), 0.1, 1, dir.resolve("out"));
        assertTrue(sum.tailSplit());
        int[] ids = tok.encode(text, false, false);
        long n = ids.length + 1;
        assertEquals((long) Math.ceil(n * 0.1), sum.validationTokens());
        try (TokenShards s = TokenShards.open(dir.resolve("out"))) {
            int[] back = new int[(int) n];
            s.train().read(0, back, 0, (int) s.train().size());
            s.validation().read(0, back, (int) s.train().size(), (int) s.validation().size());
            int[] want = java.util.Arrays.copyOf(ids, ids.length + 1);
            want[ids.length] = eot;
            assertArrayEquals(want, back);
        }
    }

    @Test
    void badInputsAreClearErrors() throws IOException {
        Files.writeString(dir.resolve("empty.txt"), "");
        var e = assertThrows(IllegalArgumentException.class, () -> new ShardBuilder(tok, eot, null)
                .build(List.of(dir.resolve("empty.txt")), 0.1, 1, dir.resolve("out")));
        assertTrue(e.getMessage().contains("no text"), e.getMessage());
        Files.write(dir.resolve("bin.txt"), new byte[] {'a', (byte) 0xC3, 'b'});
        var io = assertThrows(IOException.class, () -> new ShardBuilder(tok, eot, null)
                .build(List.of(dir.resolve("bin.txt")), 0.1, 1, dir.resolve("out")));
        assertTrue(io.getMessage().contains("bin.txt at offset 1") && io.getMessage().contains("UTF-8"), io.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ShardBuilder(tok, eot, null)
                .build(List.of(dir.resolve("a.txt")), 1.0, 1, dir.resolve("out")));
        var missing = assertThrows(IOException.class, () -> TokenShards.open(dir.resolve("nothing")));
        assertTrue(missing.getMessage().contains("train.bin"), missing.getMessage());
    }
}
