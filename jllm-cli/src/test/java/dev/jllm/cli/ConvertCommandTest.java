package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConvertCommandTest {
    @TempDir
    Path dir;

    @Test
    void llama2cToGgufToHfAndBack() throws IOException {
        Path bin = SharedFixturePaths.resolve("models/stories260K.bin");
        Path gguf = dir.resolve("stories.gguf");
        CommandRun r = CommandRun.of("convert", bin.toString(), "-o", gguf.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("wrote " + gguf), r.out());
        Path hf = dir.resolve("hf");
        r = CommandRun.of("convert", gguf.toString(), "-o", hf.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.isRegularFile(hf.resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(hf.resolve("tokenizer.json")));
        Path back = dir.resolve("back.gguf");
        r = CommandRun.of("convert", hf.toString(), "-o", back.toString());
        assertEquals(0, r.exit(), r.err());
        try (GgufFile a = GgufFile.open(gguf); GgufFile b = GgufFile.open(back)) {
            assertEquals(a.tensors().size(), b.tensors().size());
            for (GgufTensorInfo t : a.tensors()) {
                GgufTensorInfo u = b.findTensor(t.name()).orElseThrow();
                assertArrayEquals(a.tensorBytes(t).toArray(ValueLayout.JAVA_BYTE), b.tensorBytes(u).toArray(ValueLayout.JAVA_BYTE),
                        t.name());
            }
        }
        Path q8 = dir.resolve("q8.gguf");
        r = CommandRun.of("convert", hf.toString(), "-o", q8.toString(), "--type", "Q8_0");
        assertEquals(0, r.exit(), r.err());
        try (GgufFile g = GgufFile.open(q8)) {
            assertEquals(DType.Q8_0, g.findTensor("blk.0.attn_q.weight").orElseThrow().type());
        }
    }

    @ParameterizedTest
    @CsvSource({"gpt2, gpt-2", "bert, llama-spm", "t5, llama-spm"})
    void initToHfAndBackIsExact(String arch, String vocab) throws IOException {
        Path first = dir.resolve(arch + ".gguf");
        CommandRun r = CommandRun.of("init", "--arch", arch, "--dims", "64,2,4,4,96", "--vocab-from",
                SharedFixturePaths.resolve("tokenizers/llamacpp-vocab/ggml-vocab-" + vocab + ".gguf").toString(),
                "--type", "F16", "-o", first.toString());
        assertEquals(0, r.exit(), r.err());
        Path hf = dir.resolve(arch + "-hf");
        r = CommandRun.of("convert", first.toString(), "-o", hf.toString());
        assertEquals(0, r.exit(), r.err());
        Path back = dir.resolve(arch + "-back.gguf");
        r = CommandRun.of("convert", hf.toString(), "-o", back.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().strip().lines().reduce((x, y) -> y).orElseThrow().startsWith("convert: 100% ("), r.err());
        assertFalse(r.err().contains("\r"), r.err());
        try (GgufFile a = GgufFile.open(first); GgufFile b = GgufFile.open(back)) {
            assertEquals(a.tensors().size(), b.tensors().size());
            for (GgufTensorInfo t : a.tensors()) {
                GgufTensorInfo u = b.findTensor(t.name()).orElseThrow(() -> new AssertionError("lost " + t.name()));
                assertEquals(t.type(), u.type(), t.name());
                assertArrayEquals(a.tensorBytes(t).toArray(ValueLayout.JAVA_BYTE), b.tensorBytes(u).toArray(ValueLayout.JAVA_BYTE),
                        t.name());
            }
            for (String key : a.values().keySet()) {
                // scores are rebuilt from merges; the rest of the architecture and tokenizer keys come back as they were
                if (key.startsWith(a.getString("general.architecture") + ".") || key.startsWith("general.")
                        || key.equals("tokenizer.ggml.tokens") || key.equals("tokenizer.ggml.merges")) {
                    assertEquals(a.values().get(key), b.values().get(key), key);
                }
            }
        }
    }

    @Test
    void errorsAreOneLine() throws IOException {
        CommandRun r = CommandRun.of("convert", dir.resolve("missing").toString(), "-o", dir.resolve("x.gguf").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("missing"), r.err());

        Path folder = Files.createDirectories(dir.resolve("not-a-model"));
        r = CommandRun.of("convert", folder.toString(), "-o", dir.resolve("x.gguf").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("config.json"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(dir.resolve("x.gguf")));

        r = CommandRun.of("convert", folder.toString(), "-o", dir.resolve("x.gguf").toString(), "--type", "Q4_K_M");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("Q8_0"), r.err());
    }

    @Test
    void onnxBertExportToHfFolderAndOnToGguf() throws IOException {
        Path onnx = fromMiniLmJar("all-minilm-l6-v2.onnx");
        Path tokenizer = fromMiniLmJar("all-minilm-l6-v2-tokenizer.json");
        Path hf = dir.resolve("minilm");
        CommandRun r = CommandRun.of("convert", onnx.toString(), "--tokenizer", tokenizer.toString(), "-o", hf.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("wrote " + hf + " (Hugging Face BertModel folder: 6 layers, hidden 384, 12 heads, gelu)"),
                r.out());
        JsonNode config = new ObjectMapper().readTree(hf.resolve("config.json").toFile());
        assertEquals(1536, config.get("intermediate_size").asInt());
        assertArrayEquals(Files.readAllBytes(tokenizer), Files.readAllBytes(hf.resolve("tokenizer.json")));
        // the folder is a Hugging Face BERT folder as far as the HF → GGUF converter is concerned
        Path gguf = dir.resolve("minilm.gguf");
        r = CommandRun.of("convert", hf.toString(), "-o", gguf.toString());
        assertEquals(0, r.exit(), r.err());
        try (GgufFile g = GgufFile.open(gguf)) {
            assertEquals("bert", g.getString("general.architecture"));
            assertEquals(12, g.getLong("bert.attention.head_count"));
            assertEquals(6, g.getLong("bert.block_count"));
        }

        r = CommandRun.of("convert", onnx.toString(), "-o", hf.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("not empty"), r.err());
        r = CommandRun.of("convert", onnx.toString(), "--type", "F16", "-o", dir.resolve("f16").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("--type applies when writing GGUF"), r.err());
    }

    @Test
    void aBrokenOnnxFileIsOneLine() throws IOException {
        Path bad = dir.resolve("bad.onnx");
        Files.write(bad, new byte[] {0x08, 0x08, 0x3A, 0x7F, 0x0A});
        CommandRun r = CommandRun.of("convert", bad.toString(), "-o", dir.resolve("out").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(bad + " at offset 3, model.graph: length 127 runs past the end"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(dir.resolve("out")));
    }

    // the all-MiniLM-L6-v2 export jllm-formats' tests use, from the LangChain4j artifact on the test classpath
    private Path fromMiniLmJar(String entry) throws IOException {
        Path out = dir.resolve(entry);
        try (InputStream in = ConvertCommandTest.class.getClassLoader().getResourceAsStream(entry)) {
            assertTrue(in != null, entry + " is not on the test classpath");
            Files.copy(in, out);
        }
        return out;
    }
}
