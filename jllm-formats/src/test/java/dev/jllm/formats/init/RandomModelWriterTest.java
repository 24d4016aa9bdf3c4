package dev.jllm.formats.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.convert.TokenizerToGguf;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.quantize.LlamaFileType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RandomModelWriterTest {
    @TempDir
    Path dir;

    private Path tiny(Architecture arch, long seed, LlamaFileType type, String file) throws IOException {
        ModelDims dims = ModelPreset.tiny(arch);
        Path out = dir.resolve(file);
        RandomModelWriter.write(arch, dims, "tiny", PlaceholderVocabulary.metadata(dims.vocab()), seed, type, out, null);
        return out;
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void tinyModelHasTheArchitecturesTensorsAndKeys(Architecture arch) throws IOException {
        Path f = tiny(arch, 7, LlamaFileType.ALL_F32, "m.gguf");
        ModelDims d = ModelPreset.tiny(arch);
        List<TensorSpec> specs = arch.tensors(d);
        try (GgufFile g = GgufFile.open(f)) {
            String a = arch.ggufName();
            assertEquals(a, g.getString("general.architecture"));
            for (String k : List.of("context_length", "embedding_length", "block_count", "feed_forward_length",
                    "attention.head_count", "attention.head_count_kv", arch.normEpsilonKey())) {
                assertTrue(g.has(a + "." + k), a + "." + k);
            }
            assertEquals(arch.usesRope(), g.has(a + ".rope.freq_base"));
            assertEquals(d.layers(), g.getLong(a + ".block_count"));
            assertEquals(0, g.getLong("general.file_type"));
            assertEquals(d.vocab(), g.getList("tokenizer.ggml.tokens").size());
            assertEquals(specs.size(), g.tensors().size());
            long params = 0;
            for (int i = 0; i < specs.size(); i++) {
                GgufTensorInfo t = g.tensors().get(i);
                assertEquals(specs.get(i).name(), t.name());
                assertArrayEquals(specs.get(i).shape(), t.shape(), t.name());
                params += t.elements();
                float[] v = new float[(int) t.elements()];
                WeightKernels.reference(t.type()).dequantize(g.tensorBytes(t), 0, v, 0, v.length);
                double sum2 = 0;
                for (float x : v) {
                    sum2 += x * (double) x;
                }
                double rms = Math.sqrt(sum2 / v.length);
                double want = switch (specs.get(i).init()) {
                    case NORMAL -> RandomModelWriter.STD;
                    case ONES -> 1;
                    case ZEROS -> 0;
                };
                assertEquals(want, rms, want * 0.1 + 1e-9, t.name());
            }
            assertTrue(params > 500_000 && params < 2_000_000, "tiny has " + params + " parameters");
        }
    }

    @Test
    void architectureTablesNameWhatLlamaCppExpects() {
        ModelDims d = ModelPreset.tiny(Architecture.QWEN3);
        List<String> names = Architecture.QWEN3.tensors(d).stream().map(TensorSpec::name).toList();
        assertTrue(names.contains("blk.3.attn_q_norm.weight") && names.contains("blk.0.attn_k_norm.weight"));
        assertFalse(names.contains("output.weight"));
        List<String> gpt2 = Architecture.GPT2.tensors(ModelPreset.tiny(Architecture.GPT2)).stream().map(TensorSpec::name).toList();
        for (String n : List.of("token_embd.weight", "position_embd.weight", "blk.0.attn_qkv.bias", "blk.1.ffn_down.bias",
                "blk.2.attn_norm.bias", "output_norm.bias")) {
            assertTrue(gpt2.contains(n), n);
        }
        ModelPreset p = ModelPreset.parse("qwen2.5-0.5b");
        List<TensorSpec> q = p.architecture().tensors(p.dims());
        assertEquals(24 * 12 + 2, q.size());
        assertArrayEquals(new long[] {128, 896}, q.stream().filter(t -> t.name().equals("blk.0.attn_k.weight")).findFirst()
                .orElseThrow().shape());
        ModelPreset l = ModelPreset.parse("llama-3.2-1b");
        long params = l.architecture().tensors(l.dims()).stream().mapToLong(t -> t.rows() * t.rowLength()).sum();
        assertEquals(1_235_814_400L, params); // Llama 3.2 1B's published count (tied embeddings)
        // the published parameter counts of the other presets
        for (Object[] want : new Object[][] {{"tinyllama-1.1b", 1_100_048_384L}, {"qwen2.5-0.5b", 494_032_768L},
            {"gpt2-124m", 124_439_808L}, {"flan-t5-small", 76_961_152L}}) {
            ModelPreset pr = ModelPreset.parse((String) want[0]);
            assertEquals(want[1], pr.architecture().tensors(pr.dims()).stream().mapToLong(t -> t.rows() * t.rowLength()).sum(),
                    pr.cliName());
        }
        assertThrows(IllegalArgumentException.class, () -> ModelPreset.parse("llama-9000"));
        assertThrows(IllegalArgumentException.class, () -> Architecture.parse("rwkv"));
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        byte[] a = Files.readAllBytes(tiny(Architecture.LLAMA, 42, LlamaFileType.MOSTLY_Q4_K_M, "a.gguf"));
        byte[] b = Files.readAllBytes(tiny(Architecture.LLAMA, 42, LlamaFileType.MOSTLY_Q4_K_M, "b.gguf"));
        byte[] c = Files.readAllBytes(tiny(Architecture.LLAMA, 43, LlamaFileType.MOSTLY_Q4_K_M, "c.gguf"));
        assertArrayEquals(a, b);
        assertEquals(a.length, c.length);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @Test
    void quantizedWhileWritten() throws IOException {
        try (GgufFile g = GgufFile.open(tiny(Architecture.QWEN2, 1, LlamaFileType.MOSTLY_Q8_0, "q8.gguf"))) {
            assertEquals(7, g.getLong("general.file_type"));
            assertEquals(DType.Q8_0, g.findTensor("blk.0.attn_q.weight").orElseThrow().type());
            assertEquals(DType.F32, g.findTensor("blk.0.attn_q.bias").orElseThrow().type());
            assertEquals(DType.F32, g.findTensor("output_norm.weight").orElseThrow().type());
        }
    }

    @Test
    void vocabularyFromAGgufFile() throws IOException {
        Path vocab = SharedFixtures.resolve("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf");
        Map<String, GgufValue> tok = TokenizerToGguf.metadata(vocab);
        int n = TokenizerToGguf.vocabSize(tok);
        ModelDims d = ModelPreset.tiny(Architecture.LLAMA).withVocab(n);
        Path out = dir.resolve("v.gguf");
        RandomModelWriter.write(Architecture.LLAMA, d, "tiny", tok, 3, LlamaFileType.ALL_F32, out, null);
        try (GgufFile src = GgufFile.open(vocab); GgufFile g = GgufFile.open(out)) {
            for (Map.Entry<String, GgufValue> e : src.values().entrySet()) {
                if (e.getKey().startsWith("tokenizer.")) {
                    assertEquals(e.getValue(), g.values().get(e.getKey()), e.getKey());
                }
            }
            assertArrayEquals(new long[] {n, 128}, g.findTensor("token_embd.weight").orElseThrow().shape());
            assertArrayEquals(new long[] {n, 128}, g.findTensor("output.weight").orElseThrow().shape());
        }
        Path json = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {}}");
        assertThrows(dev.jllm.formats.FormatException.class, () -> TokenizerToGguf.metadata(json));
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThrows(dev.jllm.formats.FormatException.class, () -> TokenizerToGguf.metadata(empty));
        assertThrows(IllegalArgumentException.class, () -> RandomModelWriter.write(Architecture.LLAMA,
                ModelPreset.tiny(Architecture.LLAMA), "x", tok, 3, LlamaFileType.ALL_F32, dir.resolve("w.gguf"), null));
    }
}
