package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgmlType;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir
    Path dir;

    private Path gguf() throws IOException {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            tokens.add("t" + i);
        }
        Path f = dir.resolve("tiny.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putUint32("llama.context_length", 2048)
                .putUint32("llama.embedding_length", 64)
                .putUint32("llama.block_count", 2)
                .putUint32("llama.attention.head_count", 4)
                .putFloat32("llama.rope.freq_base", 10000f)
                .putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens)
                .putUint32("tokenizer.ggml.bos_token_id", 1)
                .putUint32("tokenizer.ggml.eos_token_id", 2)
                .putString("tokenizer.chat_template", "{{ messages }}")
                .addTensor("token_embd.weight", DType.Q8_0, new long[] {100, 64}, MemorySegment.ofArray(new byte[100 * 2 * 34]))
                .addTensor("output_norm.weight", Tensor.ofFloats(new float[64], 64))
                .write(f);
        return f;
    }

    @Test
    void textReportOfAGgufFile() throws IOException {
        CommandRun r = CommandRun.of("inspect", gguf().toString());
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.contains("format:        GGUF v3"), out);
        assertTrue(out.contains("architecture:  llama"), out);
        assertTrue(out.matches("(?s).*context_length\\s+2048.*"), out);
        assertTrue(out.matches("(?s).*vocab_size\\s+100.*"), out);
        assertTrue(out.matches("(?s).*chat_template\\s+true.*"), out);
        assertTrue(out.contains("STRING[100] [\"t0\""), out);
        assertTrue(out.matches("(?s).*token_embd\\.weight\\s+Q8_0\\s+\\[100, 64\\]\\s+6,800.*"), out);
        assertTrue(out.contains("2 tensors, 6,464 parameters, 7,056 bytes"), out);
    }

    @Test
    void jsonReportOfAGgufFile() throws IOException {
        CommandRun r = CommandRun.of("inspect", "--json", gguf().toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("GGUF", j.path("format").asText());
        assertEquals(3, j.path("version").asInt());
        assertEquals("llama", j.path("architecture").asText());
        assertEquals(4, j.path("hyperparameters").path("attention.head_count").asInt());
        assertEquals(100, j.path("tokenizer").path("vocab_size").asInt());
        assertEquals(1, j.path("tokenizer").path("bos_token_id").asInt());
        assertEquals(100, j.path("metadata").path("tokenizer.ggml.tokens").path("count").asInt());
        assertEquals(2, j.path("tensors").size());
        assertEquals("[100,64]", j.path("tensors").get(0).path("shape").toString());
        assertEquals(6464, j.path("totals").path("parameters").asLong());
        assertEquals(7056, j.path("totals").path("bytes").asLong());
        assertEquals(Math.round(7056 * 8.0 / 6464 * 1000) / 1000.0, j.path("totals").path("bits_per_weight").asDouble());
    }

    @Test
    void safetensorsFileAndFolder() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        new SafetensorsWriter().putMetadata("format", "pt")
                .addTensor("lm_head.weight", Tensor.ofFloats(new float[12], 3, 4)).write(model.resolve("model.safetensors"));
        Files.writeString(model.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4,
                 "num_hidden_layers": 1, "vocab_size": 3}""");
        CommandRun r = CommandRun.of("inspect", "--json", model.resolve("model.safetensors").toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("safetensors", j.path("format").asText());
        assertEquals("pt", j.path("metadata").path("format").asText());
        assertEquals("F32", j.path("tensors").get(0).path("type").asText());
        assertEquals(32.0, j.path("totals").path("bits_per_weight").asDouble());
        r = CommandRun.of("inspect", model.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("architecture:  LlamaForCausalLM"), r.out());
        assertTrue(r.out().matches("(?s).*hidden_size\\s+4.*"), r.out());
        assertTrue(r.out().matches("(?s).*lm_head\\.weight\\s+F32\\s+\\[3, 4\\]\\s+48.*"), r.out());

        Files.writeString(model.resolve("generation_config.json"), "{\"eos_token_id\": [1, 2], \"temperature\": 0.6}");
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"eos_token\": {\"content\": \"</s>\"}}");
        r = CommandRun.of("inspect", "--json", model.toString());
        assertEquals(0, r.exit(), r.err());
        j = new ObjectMapper().readTree(r.out());
        assertEquals("[1,2]", j.path("generation").path("eos_token_id").toString());
        assertEquals(0.6, j.path("generation").path("temperature").asDouble());
        assertEquals("</s>", j.path("tokenizer").path("eos_token").asText());
        Files.writeString(model.resolve("generation_config.json"), "{\"top_p\": 3}");
        r = CommandRun.of("inspect", model.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("generation_config.json") && r.err().contains("top_p"), r.err());
    }

    @Test
    void folderTokenizerVocabularyCountsAddedTokensOnce() throws IOException {
        // GPT-2's tokenizer.json lists <|endoftext|> both in the vocabulary and as an added token
        Path model = Files.createDirectory(dir.resolve("gpt2"));
        Files.copy(SharedFixturePaths.resolve("tokenizers/hf/gpt2_tokenizer.json"), model.resolve("tokenizer.json"));
        CommandRun r = CommandRun.of("inspect", "--json", model.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(50257, new ObjectMapper().readTree(r.out()).path("tokenizer").path("vocab_size").asInt(), r.out());
    }

    @Test
    void typesWithoutKernelsAreListedWithGgmlsSizes() throws IOException {
        // bytes per 256 elements, from GGML's block layouts (gguf-py's GGML_QUANT_SIZES): block bytes * 256 / block size
        Map<GgmlType, Integer> per256 = new LinkedHashMap<>();
        per256.put(GgmlType.IQ2_XXS, 2 + 256 / 4);
        per256.put(GgmlType.IQ2_XS, 2 + 256 / 4 + 256 / 32);
        per256.put(GgmlType.IQ3_XXS, 2 + 256 / 4 + 256 / 8);
        per256.put(GgmlType.IQ1_S, 2 + 256 / 8 + 256 / 16);
        per256.put(GgmlType.IQ4_NL, 8 * (2 + 16));
        per256.put(GgmlType.IQ3_S, 2 + 256 / 4 + 256 / 8 + 256 / 32 + 4);
        per256.put(GgmlType.IQ2_S, 2 + 256 / 4 + 256 / 16);
        per256.put(GgmlType.IQ4_XS, 2 + 2 + 256 / 2 + 256 / 64);
        per256.put(GgmlType.I8, 256);
        per256.put(GgmlType.I16, 512);
        per256.put(GgmlType.I32, 1024);
        per256.put(GgmlType.I64, 2048);
        per256.put(GgmlType.F64, 2048);
        per256.put(GgmlType.IQ1_M, 256 / 8 + 256 / 16 + 256 / 32);
        per256.put(GgmlType.TQ1_0, 2 + 4 * 13);
        per256.put(GgmlType.TQ2_0, 2 + 64);
        per256.put(GgmlType.MXFP4, 8 * (1 + 16));
        GgufWriter w = new GgufWriter().putString("general.architecture", "llama");
        long total = 0;
        for (Map.Entry<GgmlType, Integer> e : per256.entrySet()) {
            int bytes = 3 * e.getValue();
            total += bytes;
            w.addTensor("t." + e.getKey(), e.getKey(), new long[] {3, 256}, MemorySegment.ofArray(new byte[bytes]));
        }
        Path f = dir.resolve("exotic.gguf");
        w.write(f);
        CommandRun r = CommandRun.of("inspect", "--json", f.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(per256.size(), j.path("tensors").size());
        int i = 0;
        for (Map.Entry<GgmlType, Integer> e : per256.entrySet()) {
            JsonNode t = j.path("tensors").get(i++);
            assertEquals("t." + e.getKey(), t.path("name").asText());
            assertEquals(e.getKey().name(), t.path("type").asText());
            assertEquals(3L * e.getValue(), t.path("bytes").asLong(), e.getKey().name());
        }
        assertEquals(total, j.path("totals").path("bytes").asLong());
        CommandRun text = CommandRun.of("inspect", f.toString());
        assertTrue(text.out().matches("(?s).*t\\.IQ2_XXS\\s+IQ2_XXS\\s+\\[3, 256\\]\\s+198.*"), text.out());
        // commands that compute refuse such a file with one line naming the tensor and its type
        CommandRun q = CommandRun.of("quantize", f.toString(), dir.resolve("q.gguf").toString(), "--type", "Q8_0");
        assertEquals(1, q.exit());
        assertEquals(1, q.err().strip().lines().count(), q.err());
        assertTrue(q.err().contains("t.IQ2_XXS") && q.err().contains("IQ2_XXS"), q.err());
        CommandRun c = CommandRun.of("convert", f.toString(), "-o", dir.resolve("hf").toString());
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("t.IQ2_XXS") && c.err().contains("cannot be dequantized"), c.err());
    }

    @Test
    void anUnknownTypeIdIsOneErrorNamingTensorAndId() throws IOException {
        Path f = dir.resolve("unknown.gguf");
        new GgufWriter().putString("general.architecture", "llama")
                .addTensor("mystery.weight", Tensor.ofFloats(new float[8], 2, 4)).write(f);
        byte[] b = Files.readAllBytes(f);
        byte[] name = "mystery.weight".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int at = indexOf(b, name) + name.length + 4 + 2 * 8; // n_dims, then two 8-byte dimensions
        assertEquals(0, b[at]); // F32's id, about to become 77
        b[at] = 77;
        Files.write(f, b);
        CommandRun r = CommandRun.of("inspect", f.toString());
        assertEquals(1, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("\"mystery.weight\"") && r.err().contains("type id 77"), r.err());
        assertTrue(r.err().contains("offset " + at), r.err());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void aBadFileIsOneLineAndExitCodeOne() throws IOException {
        Path f = dir.resolve("bad.gguf");
        byte[] b = Files.readAllBytes(gguf());
        b[24] = (byte) 0xFF;
        b[29] = (byte) 0x7F;
        Files.write(f, b);
        CommandRun r = CommandRun.of("inspect", f.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("jllm: " + f + " at offset 24, metadata[0].key.length: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        CommandRun missing = CommandRun.of("inspect", dir.resolve("none.gguf").toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().startsWith("jllm: no such file"), missing.err());
    }
}
