package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeCommandTest {
    @TempDir
    Path dir;

    private Path source() throws IOException {
        SplittableRandom r = new SplittableRandom(1);
        float[] w = new float[64 * 256];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        Path f = dir.resolve("in.gguf");
        new GgufWriter().putString("general.architecture", "llama").putString("general.name", "q")
                .addTensor("blk.0.attn_v.weight", Tensor.ofFloats(w, 64, 256))
                .addTensor("blk.0.attn_norm.weight", Tensor.ofFloats(new float[256], 256))
                .addTensor("output.weight", Tensor.ofFloats(w, 64, 256))
                .write(f);
        return f;
    }

    @Test
    void quantizesWithTheMediumRecipe() throws IOException {
        Path out = dir.resolve("out.gguf");
        CommandRun r = CommandRun.of("quantize", source().toString(), out.toString(), "--type", "Q4_K_M");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("wrote " + out + " (Q4_K_M"), r.out());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(15, g.getLong("general.file_type"));
            assertEquals("q", g.getString("general.name"));
            assertEquals(DType.Q6_K, g.findTensor("blk.0.attn_v.weight").orElseThrow().type());
            assertEquals(DType.F32, g.findTensor("blk.0.attn_norm.weight").orElseThrow().type());
        }
        CommandRun inspect = CommandRun.of("inspect", out.toString());
        assertEquals(0, inspect.exit(), inspect.err());
        // stderr captured is no terminal: plain progress lines, never a redrawn bar
        assertFalse(r.err().contains("\r"), r.err());
        assertTrue(r.err().lines().allMatch(l -> l.startsWith("quantize: ")), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.matches("quantize: [1-9]0% \\(\\d/3 tensors\\) .*")), r.err());
        assertTrue(r.err().strip().lines().reduce((a, b) -> b).orElseThrow().matches("quantize: 100% \\(3 tensors\\) in .* s"),
                r.err());
    }

    @Test
    void pureAppliesOneType() throws IOException {
        Path out = dir.resolve("q4.gguf");
        CommandRun r = CommandRun.of("quantize", source().toString(), out.toString(), "-t", "q4_0", "--pure");
        assertEquals(0, r.exit(), r.err());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(DType.Q4_0, g.findTensor("output.weight").orElseThrow().type());
        }
    }

    private static void assertOneLineError(CommandRun r, String fragment) {
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().startsWith("jllm: ") && r.err().contains(fragment), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void badArgumentsAreOneLine() throws IOException {
        Path in = source();
        Path out = dir.resolve("o.gguf");
        assertOneLineError(CommandRun.of("quantize", in.toString(), out.toString(), "--type", "Q3_X"), "unknown quantization type");
        assertOneLineError(CommandRun.of("quantize", in.toString(), out.toString(), "--type", "NF4"), "not a GGML type");
        assertOneLineError(CommandRun.of("quantize", dir.resolve("none.gguf").toString(), out.toString(), "--type", "Q8_0"),
                "no such file");
        Path text = Files.writeString(dir.resolve("text.gguf"), "hello, not a model");
        assertOneLineError(CommandRun.of("quantize", text.toString(), out.toString(), "--type", "Q8_0"), "text.gguf");
        assertFalse(Files.exists(out));
    }
}
