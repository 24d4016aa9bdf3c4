package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InitCommandTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "gpt2", "bert", "t5"})
    void tinyPresetOfEachArchitectureInspects(String arch) throws IOException {
        Path out = dir.resolve(arch + ".gguf");
        CommandRun r = CommandRun.of("init", "--arch", arch, "--preset", "tiny", "--seed", "5", "-o", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("placeholder"), r.err());
        CommandRun inspect = CommandRun.of("inspect", out.toString());
        assertEquals(0, inspect.exit(), inspect.err());
        assertTrue(inspect.out().contains("block_count"), inspect.out());
        Path again = dir.resolve(arch + "-again.gguf");
        assertEquals(0, CommandRun.of("init", "--arch", arch, "--preset", "tiny", "--seed", "5", "-o", again.toString()).exit());
        assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(again));
    }

    @Test
    void dimsTypeAndVocabulary() throws IOException {
        Path vocab = SharedFixturePaths.resolve("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf");
        Path out = dir.resolve("custom.gguf");
        CommandRun r = CommandRun.of("init", "--arch", "llama", "--dims", "256,2,4,2,512", "--vocab-from", vocab.toString(),
                "--type", "Q8_0", "-o", out.toString());
        assertEquals(0, r.exit(), r.err());
        try (GgufFile g = GgufFile.open(out); GgufFile v = GgufFile.open(vocab)) {
            int n = v.getList("tokenizer.ggml.tokens").size();
            assertEquals(n, g.getList("tokenizer.ggml.tokens").size());
            assertEquals(v.getString("tokenizer.ggml.model"), g.getString("tokenizer.ggml.model"));
            assertArrayEquals(new long[] {n, 256}, g.findTensor("token_embd.weight").orElseThrow().shape());
            assertEquals(DType.Q8_0, g.findTensor("blk.1.ffn_down.weight").orElseThrow().type());
            assertEquals(7, g.getLong("general.file_type"));
        }
    }

    @Test
    void vocabularyFromAnHfFolderEncodesLikeTheFolder() throws IOException {
        Path hf = Files.createDirectory(dir.resolve("bert-hf"));
        Files.copy(SharedFixturePaths.resolve("tokenizers/hf/bert-base-uncased.json"), hf.resolve("tokenizer.json"));
        Path out = dir.resolve("bert.gguf");
        CommandRun r = CommandRun.of("init", "--arch", "bert", "--preset", "tiny", "--vocab-from", hf.toString(),
                "-o", out.toString());
        assertEquals(0, r.exit(), r.err());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("bert", g.getString("tokenizer.ggml.model"));
            assertArrayEquals(new long[] {30522, g.findTensor("token_embd.weight").orElseThrow().shape()[1]},
                    g.findTensor("token_embd.weight").orElseThrow().shape());
        }
        String text = "The company was founded in 2016.";
        CommandRun fromGguf = CommandRun.of("tokenize", "-m", out.toString(), "--ids", text);
        CommandRun fromHf = CommandRun.of("tokenize", "-m", hf.toString(), "--ids", text);
        assertEquals(0, fromGguf.exit(), fromGguf.err());
        assertEquals(fromHf.out(), fromGguf.out());
        assertTrue(fromGguf.out().contains("1996 2194 2001 2631 1999 2355 1012"), fromGguf.out());
    }

    @Test
    void badArgumentsAreOneLine() {
        String out = dir.resolve("x.gguf").toString();
        for (String[] args : new String[][] {
            {"init", "--arch", "rwkv", "--preset", "tiny", "-o", out},
            {"init", "--preset", "tiny", "-o", out},
            {"init", "--arch", "llama", "--preset", "nope", "-o", out},
            {"init", "--arch", "gpt2", "--preset", "llama-3.2-1b", "-o", out},
            {"init", "--arch", "llama", "--dims", "256,2,x,2,512", "-o", out},
            {"init", "--arch", "llama", "--preset", "tiny", "--type", "NF4", "-o", out},
            {"init", "--arch", "llama", "--preset", "tiny", "--vocab-from", dir.resolve("none.gguf").toString(), "-o", out},
            {"init", "--arch", "llama", "--preset", "tiny", "--vocab-from", SharedFixturePaths.resolve("tokenizers/SOURCES.md")
                    .toString(), "-o", out}}) {
            CommandRun r = CommandRun.of(args);
            assertEquals(1, r.exit(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("jllm: "), r.err());
        }
        assertTrue(Files.notExists(dir.resolve("x.gguf")));
    }
}
