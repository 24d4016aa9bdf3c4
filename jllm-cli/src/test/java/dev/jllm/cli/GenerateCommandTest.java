package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jllm generate}, {@code chat} and {@code bench} as a user runs them, and their errors. */
class GenerateCommandTest {
    @TempDir
    static Path dir;
    static Path stories;
    static Path withVocab;

    @BeforeAll
    static void models() throws Exception {
        stories = SharedFixturePaths.resolve("models/stories260K.bin");
        withVocab = dir.resolve("spm.gguf");
        CommandRun r = CommandRun.of("init", "--arch", "llama", "--preset", "tiny", "--seed", "3", "--vocab-from",
                SharedFixturePaths.resolve("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf").toString(), "-o",
                withVocab.toString());
        assertEquals(0, r.exit(), r.err());
    }

    @Test
    void greedyIdsOfStories260K() {
        CommandRun r = CommandRun.of("generate", "-m", stories.toString(), "--prompt-ids", "1,403,260,378,455",
                "--ids", "--temp", "0", "-n", "8");
        assertEquals(0, r.exit(), r.err());
        assertEquals("462 453 362 448 391 465 465 466", r.out().strip());
        assertTrue(r.err().contains("5 prompt tokens"), r.err());
        assertTrue(r.err().contains("finish length"), r.err());
    }

    @Test
    void textInTextOutWithASeed() {
        String[] args = {"generate", "-m", withVocab.toString(), "-p", "Once upon a time", "-n", "12", "--seed", "9",
            "--quiet"};
        CommandRun a = CommandRun.of(args);
        CommandRun b = CommandRun.of(args);
        assertEquals(0, a.exit(), a.err());
        assertFalse(a.out().isBlank());
        assertEquals(a.out(), b.out(), "the same seed gives the same text");
        assertEquals("", a.err());
    }

    @Test
    void stopStringsEndTheText() {
        CommandRun full = CommandRun.of("generate", "-m", withVocab.toString(), "-p", "Hello", "-n", "16", "--temp",
                "0", "--quiet");
        String text = full.out().strip();
        assertTrue(text.length() > 6, text);
        String stop = text.substring(3, 5);
        CommandRun cut = CommandRun.of("generate", "-m", withVocab.toString(), "-p", "Hello", "-n", "16", "--temp",
                "0", "--stop", stop);
        assertEquals(0, cut.exit(), cut.err());
        assertEquals(text.substring(0, text.indexOf(stop)), cut.out().stripTrailing());
        assertTrue(cut.err().contains("finish stop"), cut.err());
    }

    @Test
    void oneLineErrors() throws Exception {
        CommandRun noVocab = CommandRun.of("generate", "-m", stories.toString(), "-p", "hi");
        assertEquals(1, noVocab.exit());
        assertTrue(noVocab.err().contains("has no tokenizer"), noVocab.err());

        CommandRun tooLong = CommandRun.of("generate", "-m", stories.toString(), "--prompt-ids", "1,2,3,4,5,6",
                "--ids", "--ctx", "4");
        assertEquals(1, tooLong.exit());
        assertTrue(tooLong.err().contains("--truncate"), tooLong.err());
        CommandRun truncated = CommandRun.of("generate", "-m", stories.toString(), "--prompt-ids", "1,2,3,4,5,6",
                "--ids", "--ctx", "4", "--truncate", "--temp", "0");
        assertEquals(0, truncated.exit(), truncated.err());

        Path bert = dir.resolve("bert.gguf");
        assertEquals(0, CommandRun.of("init", "--arch", "bert", "--preset", "tiny", "-o", bert.toString()).exit());
        CommandRun unsupported = CommandRun.of("generate", "-m", bert.toString(), "-p", "hi");
        assertEquals(1, unsupported.exit());
        assertTrue(unsupported.err().contains("'bert' is not supported; supported: llama, qwen2, qwen3, gpt2"),
                unsupported.err());

        Path notAModel = dir.resolve("notes.txt");
        Files.writeString(notAModel, "hello");
        CommandRun bad = CommandRun.of("generate", "-m", notAModel.toString(), "-p", "hi");
        assertNotEquals(0, bad.exit());
        assertTrue(bad.err().startsWith("jllm: ") && bad.err().strip().lines().count() == 1, bad.err());

        CommandRun badTemp = CommandRun.of("generate", "-m", stories.toString(), "--prompt-ids", "1", "--ids",
                "--temp", "-1");
        assertEquals(1, badTemp.exit());
        assertTrue(badTemp.err().contains("temperature"), badTemp.err());

        CommandRun badCache = CommandRun.of("generate", "-m", stories.toString(), "--prompt-ids", "1", "--ids",
                "--cache-type", "q4_0");
        assertEquals(1, badCache.exit());
        assertTrue(badCache.err().contains("--cache-type"), badCache.err());
    }

    @Test
    void chatReadsOneTurnPerLine() {
        java.io.InputStream stdin = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("Hello\nAnd then?\n/reset\nHi\n".getBytes()));
            CommandRun r = CommandRun.of("chat", "-m", withVocab.toString(), "-n", "5", "--seed", "1", "--stats");
            assertEquals(0, r.exit(), r.err());
            assertEquals(3, r.out().strip().lines().count(), r.out());
            assertTrue(r.err().contains("no chat template; using ChatML"), r.err());
            assertEquals(3, r.err().lines().filter(l -> l.contains("generated at")).count(), r.err());
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void benchJson() {
        CommandRun r = CommandRun.of("bench", "-m", stories.toString(), "-p", "32", "-n", "8", "-r", "2", "--json",
                "-t", "1", "--bound-mib", "64");
        assertEquals(0, r.exit(), r.err());
        String json = r.out().strip();
        for (String key : new String[] {"\"threads\": 1", "\"pp_tps\"", "\"pp_sd\"", "\"tg_tps\"", "\"tg_sd\"",
            "\"ttft_ms\"", "\"load_ms\"", "\"peak_rss_mb\"", "\"tg_bound_tps\"", "\"read_gbps\""}) {
            assertTrue(json.contains(key), json);
        }
    }

    @Test
    void benchAtADepth() {
        CommandRun r = CommandRun.of("bench", "-m", stories.toString(), "-p", "16", "-n", "8", "-d", "200", "-r", "1",
                "-t", "1", "--bound-mib", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("pp16 @ d200") && r.out().contains("tg8 @ d200"), r.out());
        CommandRun json = CommandRun.of("bench", "-m", stories.toString(), "-p", "0", "-n", "4", "-d", "64", "-r", "1",
                "-t", "1", "--bound-mib", "0", "--json");
        assertEquals(0, json.exit(), json.err());
        assertTrue(json.out().contains("\"depth\": 64"), json.out());
        CommandRun deep = CommandRun.of("bench", "-m", stories.toString(), "-p", "16", "-n", "8", "-d", "100000");
        assertEquals(1, deep.exit(), deep.out());
        assertTrue(deep.err().contains("depth 100000"), deep.err());
        assertTrue(!deep.err().contains("Exception"), deep.err());
    }
}
