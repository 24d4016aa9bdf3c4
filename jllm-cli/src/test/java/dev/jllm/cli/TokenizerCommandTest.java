package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jllm tokenizer train}: a loadable tokenizer.json, and one-line errors for bad input. */
class TokenizerCommandTest {
    @TempDir
    Path dir;

    @Test
    void trainsATokenizerThatLoadsAndRoundTrips() throws Exception {
        Path text = SharedFixturePaths.resolve("tokenizers/llamacpp-vocab/ggml-vocab-gpt-2.gguf.inp");
        Path extra = dir.resolve("extra.txt");
        Files.writeString(extra, "In the beginning was the word, and the word was with the word.\n".repeat(40));
        Path out = dir.resolve("tokenizer.json");
        CommandRun run = CommandRun.of("tokenizer", "train", "--vocab", "400", "--input", text.toString(),
                extra.toString(), "-o", out.toString(), "--special", "<|endoftext|>", "--special", "<|pad|>");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("merges"), run.out());
        Tokenizer tok = TokenizerLoader.load(out);
        assertTrue(tok.vocabSize() > 258 && tok.vocabSize() <= 400, "vocab " + tok.vocabSize());
        assertEquals(0, tok.id("<|endoftext|>"));
        assertEquals(1, tok.id("<|pad|>"));
        String sample = Files.readString(text) + "<|endoftext|> the word ✓";
        int[] ids = tok.encode(sample, false, true);
        assertEquals(sample, tok.decode(ids));
        assertTrue(tok.encode("the word was with the word", false, true).length < 12, "merges learned from the text");
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().contains(".tmp-")));
    }

    @Test
    void badInputIsOneLineOnStderr() throws Exception {
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "some text");
        Path out = dir.resolve("tok.json");
        CommandRun missing = CommandRun.of("tokenizer", "train", "--vocab", "300", "--input", dir.resolve("nope.txt")
                .toString(), "-o", out.toString());
        assertEquals(1, missing.exit());
        assertEquals("jllm: no such file: " + dir.resolve("nope.txt") + "\n", missing.err());
        CommandRun small = CommandRun.of("tokenizer", "train", "--vocab", "256", "--input", text.toString(),
                "-o", out.toString());
        assertEquals(1, small.exit());
        assertTrue(small.err().startsWith("jllm: vocabulary size 256 is smaller than") && small.err().lines().count() == 1,
                small.err());
        CommandRun none = CommandRun.of("tokenizer", "train", "--vocab", "300", "--input", empty.toString(),
                "-o", out.toString());
        assertEquals(1, none.exit());
        assertTrue(none.err().startsWith("jllm: no text to train on in " + empty), none.err());
        assertFalse(Files.exists(out));
    }
}
