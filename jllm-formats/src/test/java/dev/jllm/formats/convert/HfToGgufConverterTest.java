package dev.jllm.formats.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.formats.safetensors.SafetensorsWriter;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-built Hugging Face folders: names, llama.cpp's query/key row order, metadata, shards, tokenizers. */
class HfToGgufConverterTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int DIM = 8;
    private static final int FF = 16;

    @TempDir
    Path dir;

    /** A matrix whose element (r, c) is {@code r * 100 + c + offset}, so rows can be recognised. */
    private static Tensor marked(int rows, int cols, float offset) {
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                v[r * cols + c] = r * 100 + c + offset;
            }
        }
        return cols == 1 ? Tensor.ofFloats(v, rows) : Tensor.ofFloats(v, rows, cols);
    }

    private Map<String, Tensor> tensors(int vocab, boolean qwen2, boolean qwen3) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", marked(vocab, DIM, 0.5f));
        String p = "model.layers.0.";
        m.put(p + "input_layernorm.weight", marked(DIM, 1, 1));
        m.put(p + "self_attn.q_proj.weight", marked(DIM, DIM, 0.25f));
        m.put(p + "self_attn.k_proj.weight", marked(4, DIM, 0.75f));
        m.put(p + "self_attn.v_proj.weight", marked(4, DIM, 2));
        m.put(p + "self_attn.o_proj.weight", marked(DIM, DIM, 3));
        if (qwen2) {
            m.put(p + "self_attn.q_proj.bias", marked(DIM, 1, 4));
            m.put(p + "self_attn.k_proj.bias", marked(4, 1, 5));
            m.put(p + "self_attn.v_proj.bias", marked(4, 1, 6));
        }
        if (qwen3) {
            m.put(p + "self_attn.q_norm.weight", marked(4, 1, 7));
            m.put(p + "self_attn.k_norm.weight", marked(4, 1, 8));
        }
        m.put(p + "post_attention_layernorm.weight", marked(DIM, 1, 9));
        m.put(p + "mlp.gate_proj.weight", marked(FF, DIM, 10));
        m.put(p + "mlp.up_proj.weight", marked(FF, DIM, 11));
        m.put(p + "mlp.down_proj.weight", marked(DIM, FF, 12));
        m.put("model.norm.weight", marked(DIM, 1, 13));
        m.put("lm_head.weight", marked(vocab, DIM, 14));
        return m;
    }

    /** Writes a folder with 2 heads of 4, 1 key/value head, the GPT-2 tokenizer fixture and the tensors. */
    private Path folder(String modelType, String extraConfig, Map<String, Tensor> tensors, boolean sharded) throws IOException {
        Path f = Files.createDirectories(dir.resolve(modelType + (sharded ? "-sharded" : "")));
        Files.writeString(f.resolve("config.json"), "{\"model_type\": \"" + modelType + "\", \"hidden_size\": " + DIM
                + ", \"intermediate_size\": " + FF + ", \"num_hidden_layers\": 1, \"num_attention_heads\": 2,"
                + " \"num_key_value_heads\": 1, \"max_position_embeddings\": 64, \"rms_norm_eps\": 1e-05,"
                + " \"rope_theta\": 500000.0, \"vocab_size\": 50257" + extraConfig + "}");
        Files.copy(SharedFixtures.resolve("tokenizers/hf/gpt2_tokenizer.json"), f.resolve("tokenizer.json"));
        Files.copy(SharedFixtures.resolve("tokenizers/hf/gpt2_tokenizer_config.json"), f.resolve("tokenizer_config.json"));
        if (!sharded) {
            SafetensorsWriter w = new SafetensorsWriter();
            tensors.forEach(w::addTensor);
            w.write(f.resolve("model.safetensors"));
            return f;
        }
        SafetensorsWriter a = new SafetensorsWriter();
        SafetensorsWriter b = new SafetensorsWriter();
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        int i = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String shard = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (i % 2 == 0 ? a : b).addTensor(e.getKey(), e.getValue());
            index.append(i == 0 ? "" : ", ").append('"').append(e.getKey()).append("\": \"").append(shard).append('"');
            i++;
        }
        a.write(f.resolve("model-00001-of-00002.safetensors"));
        b.write(f.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(f.resolve("model.safetensors.index.json"), index.append("}}").toString());
        return f;
    }

    private static float first(Tensor t, long row) {
        return t.data().get(F32, row * t.rowBytes());
    }

    @Test
    void llamaReordersQueryAndKeyRowsLikeLlamaCpp() throws IOException {
        Path out = dir.resolve("llama.gguf");
        HfToGgufConverter.convert(folder("llama", "", tensors(50257, false, false), false), out, null);
        try (GgufFile g = GgufFile.open(out)) {
            // reshape(heads, 2, head/2, dim).swapaxes(1, 2): each head of 4 rows [0 1 2 3] becomes [0 2 1 3]
            Tensor q = g.tensor("blk.0.attn_q.weight");
            int[] hfRows = {0, 2, 1, 3, 4, 6, 5, 7};
            for (int r = 0; r < hfRows.length; r++) {
                assertEquals(hfRows[r] * 100 + 0.25f, first(q, r), "attn_q row " + r);
            }
            Tensor k = g.tensor("blk.0.attn_k.weight");
            int[] kRows = {0, 2, 1, 3};
            for (int r = 0; r < kRows.length; r++) {
                assertEquals(kRows[r] * 100 + 0.75f, first(k, r), "attn_k row " + r);
            }
            assertEquals(1 * 100 + 2f, first(g.tensor("blk.0.attn_v.weight"), 1), "attn_v keeps its order");
            assertEquals("llama", g.getString("general.architecture"));
            assertEquals(DIM, g.getLong("llama.embedding_length"));
            assertEquals(FF, g.getLong("llama.feed_forward_length"));
            assertEquals(1, g.getLong("llama.block_count"));
            assertEquals(2, g.getLong("llama.attention.head_count"));
            assertEquals(1, g.getLong("llama.attention.head_count_kv"));
            assertEquals(64, g.getLong("llama.context_length"));
            assertEquals(4, g.getLong("llama.rope.dimension_count"));
            assertEquals(500000f, (float) g.getDouble("llama.rope.freq_base"));
            assertEquals(1e-5f, (float) g.getDouble("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(0, g.getLong("general.file_type"));
            assertTrue(g.findTensor("output.weight").isPresent());
            assertEquals("gpt2", g.getString("tokenizer.ggml.model"));
            assertEquals("gpt-2", g.getString("tokenizer.ggml.pre"));
        }
        // the GGUF tokenizer encodes as the tokenizer.json it came from
        Tokenizer fromJson = TokenizerLoader.load(dir.resolve("llama/tokenizer.json"));
        Tokenizer fromGguf = GgufTokenizerMetadata.fromGguf(out);
        for (String s : new String[] {"Hello world", " it's 2024!\n\tOK", "naïve café <|endoftext|>"}) {
            assertArrayEquals(fromJson.encode(s, false), fromGguf.encode(s, false), s);
        }
    }

    @Test
    void qwen2KeepsRowOrderAndMapsBiasesFromShards() throws IOException {
        Path out = dir.resolve("qwen2.gguf");
        Path f = folder("qwen2", "", tensors(50257, true, false), true);
        Files.writeString(f.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\", \"add_bos_token\": false,"
                + " \"chat_template\": \"{% for m in messages %}{{ m.content }}{% endfor %}\"}");
        HfToGgufConverter.convert(f, out, LlamaFileType.MOSTLY_F16);
        try (GgufFile g = GgufFile.open(out)) {
            Tensor q = g.tensor("blk.0.attn_q.weight");
            assertEquals(DType.F16, q.type());
            assertEquals(100 + 0.25f, Float.float16ToFloat(q.data().get(ValueLayout.JAVA_SHORT_UNALIGNED, q.rowBytes())));
            Tensor bias = g.tensor("blk.0.attn_k.bias");
            assertEquals(DType.F32, bias.type());
            assertEquals(105f, bias.data().get(F32, 4L), "qwen2 biases keep their order");
            assertEquals(1, g.getLong("general.file_type"));
            assertEquals("qwen2", g.getString("general.architecture"));
            assertEquals(50256, g.getLong("tokenizer.ggml.eos_token_id"));
            assertFalse(g.getBoolean("tokenizer.ggml.add_bos_token"));
            assertEquals("{% for m in messages %}{{ m.content }}{% endfor %}", g.getString("tokenizer.chat_template"));
        }
        Path hf = dir.resolve("qwen2-back");
        GgufToHfConverter.convert(out, hf);
        var cfg = new com.fasterxml.jackson.databind.ObjectMapper().readTree(hf.resolve("tokenizer_config.json").toFile());
        assertEquals("{% for m in messages %}{{ m.content }}{% endfor %}", cfg.path("chat_template").asText());
        assertEquals("<|endoftext|>", cfg.path("eos_token").asText());
        assertFalse(cfg.path("add_bos_token").asBoolean(true));
        var config = new com.fasterxml.jackson.databind.ObjectMapper().readTree(hf.resolve("config.json").toFile());
        assertEquals("Qwen2ForCausalLM", config.path("architectures").path(0).asText());
        assertEquals("float16", config.path("torch_dtype").asText());
        assertEquals(500000.0, config.path("rope_theta").asDouble());
    }

    @Test
    void qwen3NormsAndLlama3RopeFactors() throws IOException {
        Path out = dir.resolve("qwen3.gguf");
        HfToGgufConverter.convert(folder("qwen3", ", \"head_dim\": 4", tensors(50257, false, true), false), out, null);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(107f, g.tensor("blk.0.attn_q_norm.weight").data().get(F32, 4L));
            assertEquals(108f, g.tensor("blk.0.attn_k_norm.weight").data().get(F32, 4L));
        }
        Path l3 = dir.resolve("llama3.gguf");
        HfToGgufConverter.convert(folder("llama", ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0,"
                + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}",
                tensors(50257, false, false), false), l3, null);
        try (GgufFile g = GgufFile.open(l3)) {
            Tensor f = g.tensor("rope_freqs.weight");
            assertArrayEquals(new long[] {2}, f.shape());
            assertEquals(1f, f.data().get(F32, 0L), "the fastest frequency is not scaled");
            // wavelength 2 pi sqrt(500000) = 4443 lies between 8192/4 and 8192: smoothed between 1 and 8
            double smooth = (8192 / (2 * Math.PI * Math.sqrt(500000)) - 1) / 3;
            assertEquals((float) (1 / ((1 - smooth) / 8 + smooth)), f.data().get(F32, 4L), 1e-5f);
        }
    }

    @Test
    void sentencePieceTokenizerJsonBecomesLlamaVocabulary() throws IOException {
        Path f = folder("mistral", "", tensors(32000, false, false), false);
        Files.copy(SharedFixtures.resolve("tokenizers/hf/llama_tokenizer.json"), f.resolve("tokenizer.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(SharedFixtures.resolve("tokenizers/hf/llama_tokenizer_config.json"), f.resolve("tokenizer_config.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path out = dir.resolve("spm.gguf");
        HfToGgufConverter.convert(f, out, null);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("llama", g.getString("tokenizer.ggml.model"));
            assertEquals("llama", g.getString("general.architecture"));
            assertEquals(6, ((Number) g.getList("tokenizer.ggml.token_type").get(3)).intValue(), "<0x00> is a byte token");
            assertEquals(1, g.getLong("tokenizer.ggml.bos_token_id"));
            assertEquals(2, g.getLong("tokenizer.ggml.eos_token_id"));
            assertEquals(0, g.getLong("tokenizer.ggml.unknown_token_id"));
            assertTrue(g.getBoolean("tokenizer.ggml.add_bos_token"));
            assertFalse(g.getBoolean("tokenizer.ggml.add_eos_token"));
        }
        Tokenizer fromJson = TokenizerLoader.load(f.resolve("tokenizer.json"));
        Tokenizer fromGguf = GgufTokenizerMetadata.fromGguf(out);
        for (String s : new String[] {"Hello world", " leading space and  two", "naïve café 日本語 🙂"}) {
            assertArrayEquals(fromJson.encode(s, false), fromGguf.encode(s, false), s);
        }
    }

    @Test
    void llama3SplitBecomesLlamaBpeAndBack() throws IOException {
        Path f = folder("llama", "", tensors(50257, false, false), false);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(f.resolve("tokenizer.json").toFile());
        root.set("pre_tokenizer", HfTokenizerJsonShapes.byteLevelPreTokenizer("llama-bpe"));
        json.writeValue(f.resolve("tokenizer.json").toFile(), root);
        Path out = dir.resolve("l3tok.gguf");
        HfToGgufConverter.convert(f, out, null);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("llama-bpe", g.getString("tokenizer.ggml.pre"));
        }
        Tokenizer fromJson = TokenizerLoader.load(f.resolve("tokenizer.json"));
        Tokenizer fromGguf = GgufTokenizerMetadata.fromGguf(out);
        for (String s : new String[] {"1234567 apples", "Hello  world\n\n it's"}) {
            assertArrayEquals(fromJson.encode(s, false), fromGguf.encode(s, false), s);
        }
        Path hf = dir.resolve("l3-hf");
        GgufToHfConverter.convert(out, hf);
        Tokenizer back = TokenizerLoader.load(hf.resolve("tokenizer.json"));
        assertArrayEquals(fromJson.encode("1234567 apples", false), back.encode("1234567 apples", false));
    }

    @Test
    void sentencePieceModelFileIsPreferredForLlama() throws IOException {
        Path model = SharedFixtures.resolve("tokenizers/sentencepiece/tokenizer.model");
        var sp = dev.jllm.formats.tokenizer.sentencepiece.SentencePieceModelFile.read(model);
        Path f = folder("llama", "", tensors(sp.pieces().length, false, false), false);
        Files.copy(model, f.resolve("tokenizer.model"));
        Files.delete(f.resolve("tokenizer.json"));
        Files.writeString(f.resolve("tokenizer_config.json"), "{\"add_bos_token\": true}");
        Path out = dir.resolve("sp.gguf");
        HfToGgufConverter.convert(f, out, null);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("llama", g.getString("tokenizer.ggml.model"));
            List<?> scores = g.getList("tokenizer.ggml.scores");
            for (int i = 0; i < sp.scores().length; i += 97) {
                assertEquals(sp.scores()[i], ((Number) scores.get(i)).floatValue(), "score " + i);
            }
            assertEquals(sp.bosId(), g.getLong("tokenizer.ggml.bos_token_id"));
        }
        Tokenizer expected = sp.toTokenizer(model);
        Tokenizer fromGguf = GgufTokenizerMetadata.fromGguf(out);
        for (String s : new String[] {"Hello world", " leading space and  two", "naïve café 日本語 🙂"}) {
            assertArrayEquals(expected.encode(s, false), fromGguf.encode(s, false), s);
        }
    }

    @Test
    void metasLlama3FolderWithTiktokenRanksAsTokenizerModel() throws IOException {
        Path f = folder("llama", "", tensors(128256, false, false), false);
        Files.delete(f.resolve("tokenizer.json"));
        Files.copy(SharedFixtures.resolve("tokenizers/hf/llama-3/tiktoken.model"), f.resolve("tokenizer.model"));
        Files.copy(SharedFixtures.resolve("tokenizers/hf/llama-3/tokenizer_config.json"), f.resolve("tokenizer_config.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path out = dir.resolve("l3.gguf");
        HfToGgufConverter.convert(f, out, null);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("llama-bpe", g.getString("tokenizer.ggml.pre"));
            assertEquals(280147, g.getList("tokenizer.ggml.merges").size());
            assertEquals(128009, g.getLong("tokenizer.ggml.eos_token_id"));
        }
    }

    @Test
    void badFoldersFailNamingFileAndField() throws IOException {
        Map<String, Tensor> t = tensors(50257, false, false);
        t.put("model.layers.0.mystery.weight", marked(2, 2, 0));
        Path f = folder("llama", "", t, false);
        Path out = dir.resolve("bad.gguf");
        FormatException e = assertThrows(FormatException.class, () -> HfToGgufConverter.convert(f, out, null));
        assertTrue(e.getMessage().contains("model.layers.0.mystery.weight"), e.getMessage());
        assertFalse(Files.exists(out));

        Path rwkv = folder("rwkv", "", tensors(50257, false, false), false);
        e = assertThrows(FormatException.class, () -> HfToGgufConverter.convert(rwkv, out, null));
        assertTrue(e.getMessage().contains("model_type") && e.getMessage().contains("config.json"), e.getMessage());

        // a GPT-2 config over Llama tensor names: the first tensor GPT-2 has no name for is the error
        Path gpt2 = folder("gpt2", "", tensors(50257, false, false), false);
        e = assertThrows(FormatException.class, () -> HfToGgufConverter.convert(gpt2, out, null));
        assertTrue(e.getMessage().contains("no GGUF name for gpt2") && e.getMessage().contains("model.safetensors"),
                e.getMessage());
        assertFalse(Files.exists(out));

        assertThrows(IllegalArgumentException.class,
                () -> HfToGgufConverter.convert(f, out, LlamaFileType.MOSTLY_Q4_K_M));
    }
}
