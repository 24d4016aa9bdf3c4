package dev.jllm.formats.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelDims;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A random GGUF model with a real vocabulary goes to a Hugging Face folder and back: the tensors come
 * back byte for byte, the mapped metadata value for value, and the folder's tokenizer.json encodes
 * llama.cpp's test strings to llama.cpp's ids.
 */
class GgufHfRoundTripTest {
    /** Keys of the source files that the Hugging Face folder does not carry (documented losses). */
    private static final Set<String> NOT_CARRIED = Set.of("tokenizer.ggml.add_space_prefix", "tokenizer.ggml.token_type_count",
            "general.quantization_version", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id",
            "tokenizer.ggml.padding_token_id", "tokenizer.ggml.add_eos_token", "tokenizer.ggml.add_bos_token");

    @TempDir
    Path dir;

    @Test
    void llamaWithSentencePieceVocabulary() throws IOException {
        roundTrip(Architecture.LLAMA, "ggml-vocab-llama-spm.gguf", LlamaFileType.ALL_F32, 2);
    }

    @Test
    void qwen2WithGpt2Vocabulary() throws IOException {
        roundTrip(Architecture.QWEN2, "ggml-vocab-gpt-2.gguf", LlamaFileType.MOSTLY_F16, 2);
    }

    @Test
    void qwen3WithGpt2Vocabulary() throws IOException {
        roundTrip(Architecture.QWEN3, "ggml-vocab-gpt-2.gguf", LlamaFileType.MOSTLY_BF16, 1);
    }

    @Test
    void gpt2WithTiedEmbeddingsAndConv1dLayout() throws IOException {
        Map<String, GgufValue> tok = vocabulary("ggml-vocab-gpt-2.gguf");
        ModelDims d = new ModelDims(32, 2, 4, 4, 48, TokenizerToGguf.vocabSize(tok), 8, 64, 10000f, 1e-5f, true);
        Path hf = roundTrip(Architecture.GPT2, tok, LlamaFileType.ALL_F32, d);
        // Hugging Face's Conv1D keeps [in, out]: element (i, j) of c_attn is GGUF's attn_qkv row j, column i
        try (GgufFile g = GgufFile.open(dir.resolve("first.gguf")); SafetensorsModel st = SafetensorsModel.open(hf)) {
            var q = g.tensor("blk.1.attn_qkv.weight");
            var c = st.tensor("h.1.attn.c_attn.weight");
            assertArrayEquals(new long[] {96, 32}, q.shape());
            assertArrayEquals(new long[] {32, 96}, c.shape());
            for (int i = 0; i < 32; i += 5) {
                for (int j = 0; j < 96; j += 7) {
                    assertEquals(q.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, j * 32L + i),
                            c.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 96L + j), i + "," + j);
                }
            }
            assertTrue(st.tensors().stream().noneMatch(t -> t.name().equals("lm_head.weight")));
        }
        var cfg = dev.jllm.formats.hf.HfModelConfig.read(hf.resolve("config.json"));
        assertEquals(32, cfg.width().orElseThrow());
        assertEquals(48, cfg.feedForwardWidth().orElseThrow());
        assertEquals(64, cfg.contextLength().orElseThrow());
    }

    @Test
    void bertWithItsWordPieceVocabulary() throws IOException {
        roundTrip(Architecture.BERT, "ggml-vocab-bert-bge.gguf", LlamaFileType.ALL_F32, 4);
    }

    @Test
    void bertWithPooling() throws IOException {
        Map<String, GgufValue> tok = vocabulary("ggml-vocab-llama-spm.gguf");
        ModelDims d = new ModelDims(32, 2, 4, 4, 48, TokenizerToGguf.vocabSize(tok), 8, 64, 10000f, 1e-12f, true);
        Path hf = roundTrip(Architecture.BERT, tok, LlamaFileType.MOSTLY_F16, d);
        assertTrue(Files.readString(hf.resolve("1_Pooling/config.json")).contains("\"pooling_mode_cls_token\" : true"));
        try (SafetensorsModel st = SafetensorsModel.open(hf)) {
            assertArrayEquals(new long[] {48, 32}, st.tensor("encoder.layer.1.intermediate.dense.weight").shape());
        }
    }

    @Test
    void t5GatedUntiedWithWiderHeads() throws IOException {
        // 4 heads of 16 on a width of 32: d_kv must travel as attention.key_length
        Map<String, GgufValue> tok = vocabulary("ggml-vocab-llama-spm.gguf");
        ModelDims d = new ModelDims(32, 2, 4, 4, 48, TokenizerToGguf.vocabSize(tok), 16, 64, 10000f, 1e-6f, false);
        Path hf = roundTrip(Architecture.T5, tok, LlamaFileType.MOSTLY_BF16, d);
        try (SafetensorsModel st = SafetensorsModel.open(hf)) {
            assertArrayEquals(new long[] {48, 32}, st.tensor("decoder.block.1.layer.2.DenseReluDense.wi_0.weight").shape());
            assertArrayEquals(new long[] {32, 4}, st.tensor(
                    "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight").shape());
        }
    }

    @Test
    void t5WithAUnigramVocabulary() throws IOException {
        Path model = SharedFixtures.resolve("tokenizers/sentencepiece/test_model.model");
        Map<String, GgufValue> tok = TokenizerToGguf.metadata(model);
        ModelDims d = new ModelDims(32, 1, 4, 4, 48, TokenizerToGguf.vocabSize(tok), 8, 64, 10000f, 1e-6f, true);
        Path hf = roundTrip(Architecture.T5, tok, LlamaFileType.ALL_F32, d);
        try (GgufFile back = GgufFile.open(dir.resolve("second.gguf"))) {
            for (String k : List.of("tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
                    "tokenizer.ggml.token_type", "tokenizer.ggml.precompiled_charsmap", "tokenizer.ggml.add_space_prefix",
                    "tokenizer.ggml.remove_extra_whitespaces", "tokenizer.ggml.unknown_token_id")) {
                assertEquals(tok.get(k), back.values().get(k), k);
            }
        }
        // the written tokenizer.json encodes like sentencepiece itself
        Tokenizer fromJson = TokenizerLoader.load(hf.resolve("tokenizer.json"));
        var cases = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                SharedFixtures.resolve("tokenizers/sentencepiece/test_model.expected.generated.json").toFile()).path("cases");
        int checked = 0;
        for (var c : cases) {
            int[] ids = new int[c.path("ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = c.path("ids").get(i).asInt();
            }
            assertArrayEquals(ids, fromJson.encode(c.path("text").asText(), false), c.path("text").asText());
            checked++;
        }
        assertTrue(checked > 0);
    }

    @Test
    void refusesOtherArchitecturesAndMissingTokenizerBeforeWriting() throws IOException {
        Path rwkv = dir.resolve("rwkv.gguf");
        new dev.jllm.formats.gguf.GgufWriter().putString("general.architecture", "rwkv").write(rwkv);
        FormatException e = assertThrows(FormatException.class, () -> GgufToHfConverter.convert(rwkv, dir.resolve("a")));
        assertTrue(e.getMessage().contains("general.architecture") && e.getMessage().contains("rwkv.gguf"), e.getMessage());

        Path bare = dir.resolve("bare.gguf");
        new dev.jllm.formats.gguf.GgufWriter().putString("general.architecture", "llama")
                .putUint32("llama.attention.head_count", 2)
                .addTensor("token_embd.weight", dev.jllm.core.tensor.Tensor.ofFloats(new float[16], 2, 8)).write(bare);
        e = assertThrows(FormatException.class, () -> GgufToHfConverter.convert(bare, dir.resolve("b")));
        assertTrue(e.getMessage().contains("tokenizer.ggml.model"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("b").resolve("model.safetensors")));
    }

    private void roundTrip(Architecture arch, String vocabName, LlamaFileType type, int kvHeads) throws IOException {
        Path vocabFile = SharedFixtures.resolve("tokenizers/llamacpp-vocab/" + vocabName);
        Map<String, GgufValue> tok = TokenizerToGguf.metadata(vocabFile);
        int vocab = TokenizerToGguf.vocabSize(tok);
        ModelDims dims = new ModelDims(32, 2, 4, kvHeads, 48, vocab, 8, 128, 10000f, 1e-5f, false);
        Path hf = roundTrip(arch, tok, type, dims);
        if (arch == Architecture.LLAMA) {
            checkHfOrder(dir.resolve("first.gguf"), hf, dims);
        }
        encodesFixture(hf, vocabName);
    }

    private static Map<String, GgufValue> vocabulary(String name) throws IOException {
        return TokenizerToGguf.metadata(SharedFixtures.resolve("tokenizers/llamacpp-vocab/" + name));
    }

    /** init → HF folder → GGUF; every tensor and every key that the folder carries must come back the same. */
    private Path roundTrip(Architecture arch, Map<String, GgufValue> tok, LlamaFileType type, ModelDims dims)
            throws IOException {
        Path first = dir.resolve("first.gguf");
        RandomModelWriter.write(arch, dims, "round-trip", tok, 7, type, first, null);
        Path hf = dir.resolve("hf");
        GgufToHfConverter.convert(first, hf);
        Path second = dir.resolve("second.gguf");
        HfToGgufConverter.convert(hf, second, null);
        try (GgufFile a = GgufFile.open(first); GgufFile b = GgufFile.open(second)) {
            Set<String> lost = new TreeSet<>();
            for (Map.Entry<String, GgufValue> e : a.values().entrySet()) {
                if (!b.has(e.getKey())) {
                    lost.add(e.getKey());
                    continue;
                }
                GgufValue got = b.value(e.getKey()).orElseThrow();
                if (e.getKey().equals("tokenizer.ggml.scores")) {
                    sameScores((List<?>) e.getValue().value(), (List<?>) got.value(), a.getList("tokenizer.ggml.tokens"));
                } else {
                    assertTrue(e.getValue().equals(got), () -> e.getKey() + " differs: " + abbreviate(e.getValue()) + " vs " + abbreviate(got));
                }
            }
            lost.removeAll(NOT_CARRIED);
            assertTrue(lost.isEmpty(), "keys lost in the round trip: " + lost);
            assertEquals(a.tensors().size(), b.tensors().size());
            for (GgufTensorInfo t : a.tensors()) {
                GgufTensorInfo u = b.findTensor(t.name()).orElseThrow(() -> new AssertionError("missing " + t.name()));
                assertEquals(t.type(), u.type(), t.name());
                assertArrayEquals(t.shape(), u.shape(), t.name());
                assertArrayEquals(a.tensorBytes(t).toArray(ValueLayout.JAVA_BYTE), b.tensorBytes(u).toArray(ValueLayout.JAVA_BYTE),
                        t.name());
            }
        }
        return hf;
    }

    // scores are rebuilt from the merges: positional, or -1e9 for pieces whose score was set by hand; a
    // single-character piece is never a merge's result, so its hand-set score (Llama's "▁") cannot be seen
    private static void sameScores(List<?> a, List<?> b, List<?> tokens) {
        assertEquals(a.size(), b.size());
        int unseen = 0;
        for (int i = 0; i < a.size(); i++) {
            float x = ((Number) a.get(i)).floatValue();
            float y = ((Number) b.get(i)).floatValue();
            String t = (String) tokens.get(i);
            if (x != y && t.codePointCount(0, t.length()) == 1) {
                unseen++;
                continue;
            }
            assertEquals(x, y, "score of token " + i + " " + t);
        }
        assertTrue(unseen <= 1, unseen + " single-character scores differ");
    }

    private static String abbreviate(GgufValue v) {
        String s = v.toString();
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    // the query rows in the Hugging Face file are the GGUF rows in rotate-half order
    private static void checkHfOrder(Path gguf, Path hf, ModelDims d) throws IOException {
        try (GgufFile g = GgufFile.open(gguf); SafetensorsModel st = SafetensorsModel.open(hf)) {
            var q = g.tensor("blk.0.attn_q.weight");
            var hq = st.tensor("model.layers.0.self_attn.q_proj.weight");
            int head = d.headDim();
            long rowBytes = q.rowBytes();
            // Hugging Face row 1 of head 0 (first half, index 1) is GGUF row 2; row head/2 is GGUF row 1
            assertArrayEquals(q.data().asSlice(2 * rowBytes, rowBytes).toArray(ValueLayout.JAVA_BYTE),
                    hq.data().asSlice(rowBytes, rowBytes).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(q.data().asSlice(rowBytes, rowBytes).toArray(ValueLayout.JAVA_BYTE),
                    hq.data().asSlice((head / 2) * rowBytes, rowBytes).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    private static void encodesFixture(Path hf, String vocabName) throws IOException {
        Tokenizer tok = TokenizerLoader.load(hf.resolve("tokenizer.json"));
        Path fixtures = SharedFixtures.resolve("tokenizers/llamacpp-vocab");
        String inp = Files.readString(fixtures.resolve(vocabName + ".inp"), StandardCharsets.UTF_8);
        List<String> out = Files.readAllLines(fixtures.resolve(vocabName + ".out"), StandardCharsets.UTF_8);
        String[] cases = inp.split("\n__ggml_vocab_test__\n", -1);
        int count = cases.length - (cases[cases.length - 1].isEmpty() ? 1 : 0);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String line = i < out.size() ? out.get(i).strip() : "";
            int[] expected = line.isEmpty() ? new int[0] : Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            int[] got = tok.encode(cases[i], false);
            if (!Arrays.equals(expected, got)) {
                failures.add("case " + i + " " + cases[i] + ": expected " + Arrays.toString(expected) + " got " + Arrays.toString(got));
            }
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " of " + count + " cases differ, first: " + failures.getFirst());
    }
}
