package dev.jllm.formats.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face folders laid out as the real GPT-2 and BERT checkpoints are (model-class prefixes, attention-mask
 * buffers, TensorFlow-era LayerNorm names, heads llama.cpp drops) convert to llama.cpp's names and layouts.
 */
class HfGpt2BertT5ToGgufTest {
    @TempDir
    Path dir;

    /** A matrix whose element (r, c) is r * 1000 + c. */
    private static Tensor marked(int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                v[r * cols + c] = r * 1000 + c;
            }
        }
        return Tensor.ofFloats(v, rows, cols);
    }

    @Test
    void gpt2Conv1dWeightsAreTransposedAndBuffersDropped() throws IOException {
        Path f = Files.createDirectory(dir.resolve("gpt2"));
        Files.writeString(f.resolve("config.json"), "{\"model_type\": \"gpt2\", \"n_embd\": 8, \"n_layer\": 1, \"n_head\": 2,"
                + " \"n_positions\": 16, \"layer_norm_epsilon\": 1e-5, \"vocab_size\": 50257}");
        Files.copy(SharedFixtures.resolve("tokenizers/hf/gpt2-vocab.json"), f.resolve("vocab.json"));
        Files.copy(SharedFixtures.resolve("tokenizers/hf/gpt2-merges.txt"), f.resolve("merges.txt"));
        SafetensorsWriter w = new SafetensorsWriter();
        w.addTensor("transformer.wte.weight", marked(50257, 8));
        w.addTensor("transformer.wpe.weight", marked(16, 8));
        w.addTensor("transformer.h.0.attn.bias", Tensor.ofFloats(new float[16 * 16], 1, 1, 16, 16));
        w.addTensor("transformer.h.0.attn.c_attn.weight", marked(8, 24));
        w.addTensor("transformer.h.0.attn.c_attn.bias", Tensor.ofFloats(new float[24], 24));
        w.addTensor("transformer.h.0.mlp.c_fc.weight", marked(8, 32));
        w.addTensor("transformer.ln_f.weight", Tensor.ofFloats(new float[8], 8));
        w.write(f.resolve("model.safetensors"));
        Path out = dir.resolve("gpt2.gguf");
        HfToGgufConverter.convert(f, out, null);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("gpt2", g.getString("general.architecture"));
            assertEquals(8, g.getLong("gpt2.embedding_length"));
            assertEquals(32, g.getLong("gpt2.feed_forward_length"), "four times n_embd without n_inner");
            assertEquals(16, g.getLong("gpt2.context_length"));
            assertEquals("gpt-2", g.getString("tokenizer.ggml.pre"));
            assertEquals(50000, g.getList("tokenizer.ggml.merges").size());
            var qkv = g.tensor("blk.0.attn_qkv.weight");
            assertArrayEquals(new long[] {24, 8}, qkv.shape());
            // GGUF row j is output j: element (j, i) is Hugging Face's (i, j) = i * 1000 + j
            for (int j = 0; j < 24; j++) {
                for (int i = 0; i < 8; i++) {
                    assertEquals(i * 1000 + j, qkv.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, j * 8L + i));
                }
            }
            assertArrayEquals(new long[] {32, 8}, g.findTensor("blk.0.ffn_up.weight").orElseThrow().shape());
            assertArrayEquals(new long[] {16, 8}, g.findTensor("position_embd.weight").orElseThrow().shape());
            assertEquals(DType.F32, g.findTensor("output_norm.weight").orElseThrow().type());
            assertFalse(g.findTensor("output.weight").isPresent(), "tied: llama.cpp falls back to token_embd");
            assertEquals(6, g.tensors().size(), "the attention-mask buffer is no tensor");
        }
    }

    @Test
    void bertPrefixTensorFlowNamesAndDroppedHeads() throws IOException {
        Path f = Files.createDirectory(dir.resolve("bert"));
        Files.writeString(f.resolve("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": 8, \"num_hidden_layers\": 1,"
                + " \"num_attention_heads\": 2, \"intermediate_size\": 16, \"max_position_embeddings\": 32,"
                + " \"type_vocab_size\": 2, \"layer_norm_eps\": 1e-12, \"vocab_size\": 30522}");
        Files.copy(SharedFixtures.resolve("tokenizers/hf/bert-vocab.txt"), f.resolve("vocab.txt"));
        Files.writeString(f.resolve("modules.json"), "[{\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}]");
        Files.createDirectory(f.resolve("1_Pooling"));
        Files.writeString(f.resolve("1_Pooling/config.json"), "{\"pooling_mode_mean_tokens\": true, \"pooling_mode_cls_token\": false}");
        SafetensorsWriter w = new SafetensorsWriter();
        w.addTensor("bert.embeddings.word_embeddings.weight", marked(30522, 8));
        w.addTensor("bert.embeddings.position_ids", Tensor.ofFloats(new float[32], 1, 32));
        w.addTensor("bert.embeddings.LayerNorm.gamma", Tensor.ofFloats(new float[8], 8));
        w.addTensor("bert.embeddings.LayerNorm.beta", Tensor.ofFloats(new float[8], 8));
        w.addTensor("bert.encoder.layer.0.attention.self.query.weight", marked(8, 8));
        w.addTensor("bert.pooler.dense.weight", marked(8, 8));
        w.addTensor("cls.predictions.bias", Tensor.ofFloats(new float[30522], 30522));
        w.write(f.resolve("model.safetensors"));
        Path out = dir.resolve("bert.gguf");
        HfToGgufConverter.convert(f, out, null);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(1, g.getLong("bert.pooling_type"), "mean pooling from 1_Pooling");
            assertEquals(2, g.getLong("tokenizer.ggml.token_type_count"));
            assertEquals("bert", g.getString("tokenizer.ggml.model"));
            assertTrue(g.findTensor("token_embd_norm.weight").isPresent());
            assertTrue(g.findTensor("token_embd_norm.bias").isPresent());
            assertTrue(g.findTensor("blk.0.attn_q.weight").isPresent());
            assertEquals(4, g.tensors().size(), "position_ids, pooler and cls are left out");
        }
    }
}
