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

    /** A shared fixture: {@code shared/fixtures} next to an ancestor of the working directory. */
    private static Path fixture(String relative) {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = start; d != null; d = d.getParent()) {
            Path p = d.resolve("shared").resolve("fixtures").resolve(relative);
            if (Files.exists(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no shared/fixtures/" + relative + " above " + start);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "gpt2", "bert", "t5"})
    void tinyPresetOfEachArchitectureInspects(String arch) throws IOException {
        Path out = dir.resolve(arch + ".gguf");
        MainTest.Result r = MainTest.run("init", "--arch", arch, "--preset", "tiny", "--seed", "5", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("placeholder"), r.err());
        MainTest.Result inspect = MainTest.run("inspect", out.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("block_count"), inspect.out());
        Path again = dir.resolve(arch + "-again.gguf");
        assertEquals(0, MainTest.run("init", "--arch", arch, "--preset", "tiny", "--seed", "5", "-o", again.toString()).code());
        assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(again));
    }

    @Test
    void dimsTypeAndVocabulary() throws IOException {
        Path vocab = fixture("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf");
        Path out = dir.resolve("custom.gguf");
        MainTest.Result r = MainTest.run("init", "--arch", "llama", "--dims", "256,2,4,2,512", "--vocab-from", vocab.toString(),
                "--type", "Q8_0", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
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
    void badArgumentsAreOneLine() {
        String out = dir.resolve("x.gguf").toString();
        for (String[] args : new String[][] {
            {"init", "--arch", "rwkv", "--preset", "tiny", "-o", out},
            {"init", "--preset", "tiny", "-o", out},
            {"init", "--arch", "llama", "--preset", "nope", "-o", out},
            {"init", "--arch", "gpt2", "--preset", "llama-3.2-1b", "-o", out},
            {"init", "--arch", "llama", "--dims", "256,2,x,2,512", "-o", out},
            {"init", "--arch", "llama", "--preset", "tiny", "--type", "NF4", "-o", out},
            {"init", "--arch", "llama", "--preset", "tiny", "--vocab-from", dir.resolve("none.gguf").toString(), "-o", out}}) {
            MainTest.Result r = MainTest.run(args);
            assertEquals(1, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("jllm: "), r.err());
        }
        assertTrue(Files.notExists(dir.resolve("x.gguf")));
    }
}
