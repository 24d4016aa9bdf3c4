package dev.jllm.train.data.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.bpe.ByteLevelAlphabet;
import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A trained tokenizer saved as tokenizer.json and loaded by jllm's own loader. */
class TokenizerJsonWriterTest {
    private static final List<String> SPECIALS = List.of("<|endoftext|>", "<|pad|>");

    @TempDir
    Path dir;

    private String fixtureText() throws Exception {
        // llama.cpp's tokenizer test input: many scripts, emoji, digits, odd whitespace
        return Files.readString(SharedFixtures.resolve("tokenizers/llamacpp-vocab/ggml-vocab-llama-bpe.gguf.inp"));
    }

    private TrainedBpe train(String text, String pattern, int vocab) {
        WordCounts counts = new WordCounts(pattern, SPECIALS);
        counts.addText(text);
        return new BpeTrainer(vocab, 2, SPECIALS).train(counts, pattern);
    }

    /** The reference segmentation: specials cut out, words split, then every merge applied in the order learned. */
    private static List<Integer> mergeSegmentation(TrainedBpe bpe, String text) {
        List<Integer> ids = new ArrayList<>();
        PreTokenizer split = new PreTokenizer(List.of(bpe.pattern()), false);
        String special = "<|endoftext|>";
        String[] parts = text.split(java.util.regex.Pattern.quote(special), -1);
        for (int p = 0; p < parts.length; p++) {
            if (p > 0) {
                ids.add(bpe.tokens().indexOf(special));
            }
            for (String word : split.split(parts[p])) {
                List<String> symbols = new ArrayList<>();
                for (char c : ByteLevelAlphabet.encode(word.getBytes(StandardCharsets.UTF_8)).toCharArray()) {
                    symbols.add(String.valueOf(c));
                }
                for (String[] m : bpe.merges()) {
                    for (int i = 0; i + 1 < symbols.size(); i++) {
                        if (symbols.get(i).equals(m[0]) && symbols.get(i + 1).equals(m[1])) {
                            symbols.set(i, m[0] + m[1]);
                            symbols.remove(i + 1);
                        }
                    }
                }
                for (String s : symbols) {
                    ids.add(bpe.tokens().lastIndexOf(s) == bpe.tokens().indexOf(s) ? bpe.tokens().indexOf(s) : -1);
                }
            }
        }
        return ids;
    }

    @Test
    void loadedTokenizerSegmentsTheTrainingTextAsTheMergesDo() throws Exception {
        for (String pattern : new String[] {PreTokenizer.LLAMA3, PreTokenizer.GPT2}) {
            String text = fixtureText() + "<|endoftext|>" + fixtureText().toUpperCase(java.util.Locale.ROOT);
            TrainedBpe bpe = train(text, pattern, 700);
            Path file = dir.resolve("tokenizer.json");
            TokenizerJsonWriter.write(bpe, file);
            Tokenizer tok = TokenizerLoader.load(file);
            assertEquals(bpe.vocabSize(), tok.vocabSize());
            assertEquals(0, tok.id("<|endoftext|>"));
            assertTrue(tok.isSpecial(0) && tok.isSpecial(1));
            int[] got = tok.encode(text, false, true);
            int[] want = mergeSegmentation(bpe, text).stream().mapToInt(Integer::intValue).toArray();
            assertArrayEquals(want, got, pattern);
            assertEquals(text, tok.decode(got));
            assertTrue(got.length < text.getBytes(StandardCharsets.UTF_8).length / 2, "merges compress the text");
        }
    }

    @Test
    void arbitraryUnicodeRoundTrips() throws Exception {
        TrainedBpe bpe = train(fixtureText(), PreTokenizer.LLAMA3, 600);
        Path file = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(bpe, file);
        Tokenizer tok = TokenizerLoader.load(file);
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder sb = new StringBuilder();
            int n = r.nextInt(40);
            for (int i = 0; i < n; i++) {
                int cp;
                do {
                    cp = switch (r.nextInt(4)) {
                        case 0 -> r.nextInt(0x80);
                        case 1 -> r.nextInt(0x800);
                        case 2 -> r.nextInt(0x10000);
                        default -> r.nextInt(0x110000);
                    };
                } while (cp >= 0xD800 && cp <= 0xDFFF);
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            assertEquals(s, tok.decode(tok.encode(s, false, true)), "trial " + trial);
            assertEquals(s, tok.decode(tok.encode(s, false, false)), "trial " + trial);
        }
    }
}
