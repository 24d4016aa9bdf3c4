package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import dev.jllm.train.data.TokenShards;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jllm data}: text to shards that decode back to the documents. */
class DataCommandTest {
    @TempDir
    Path dir;

    private Path tokenizer() {
        Path text = SharedFixturePaths.resolve("tokenizers/llamacpp-vocab/ggml-vocab-gpt-2.gguf.inp");
        Path out = dir.resolve("tokenizer.json");
        CommandRun run = CommandRun.of("tokenizer", "train", "--vocab", "300", "--input", text.toString(), "-o",
                out.toString());
        assertEquals(0, run.exit(), run.err());
        return out;
    }

    @Test
    void writesTrainAndValidationShards() throws Exception {
        Path tok = tokenizer();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("document number ").append(i).append("\n\n");
        }
        Path text = dir.resolve("docs.txt");
        Files.writeString(text, sb);
        CommandRun run = CommandRun.of("data", "--tokenizer", tok.toString(), "--input", text.toString(), "-o",
                dir.resolve("shards").toString(), "--val-fraction", "0.1", "--seed", "5", "--separator", "\\n\\n");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith("40 documents") && run.out().contains("4 documents"), run.out());
        Tokenizer t = TokenizerLoader.load(tok);
        try (TokenShards shards = TokenShards.open(dir.resolve("shards"))) {
            int eot = t.id("<|endoftext|>");
            long eots = 0;
            for (long i = 0; i < shards.validation().size(); i++) {
                eots += shards.validation().get(i) == eot ? 1 : 0;
            }
            assertEquals(4, eots);
            int[] all = new int[(int) shards.train().size()];
            shards.train().read(0, all, 0, all.length);
            String decoded = t.decode(all);
            assertTrue(decoded.startsWith("document number "), decoded);
            assertEquals(36, decoded.split("<\\|endoftext\\|>", -1).length - 1);
        }
    }

    @Test
    void missingFilesAreOneLineErrors() throws Exception {
        Path tok = tokenizer();
        CommandRun noInput = CommandRun.of("data", "--tokenizer", tok.toString(), "--input", dir.resolve("x.txt")
                .toString(), "-o", dir.resolve("s").toString());
        assertEquals(1, noInput.exit());
        assertEquals("jllm: no such file: " + dir.resolve("x.txt") + "\n", noInput.err());
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "hello");
        CommandRun noTok = CommandRun.of("data", "--tokenizer", dir.resolve("none.json").toString(), "--input",
                text.toString(), "-o", dir.resolve("s").toString());
        assertEquals(1, noTok.exit());
        assertTrue(noTok.err().startsWith("jllm: no such file: "), noTok.err());
    }
}
