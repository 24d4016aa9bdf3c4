package dev.jllm.formats.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.llama2c.Llama2cCheckpoint;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stories260K.bin becomes a GGUF file whose every tensor equals the checkpoint's. */
class Llama2cToGgufConverterTest {
    @TempDir
    Path dir;

    @Test
    void everyTensorEqualsTheCheckpoints() throws IOException {
        Path bin = SharedFixtures.resolve("models/stories260K.bin");
        Path out = dir.resolve("stories.gguf");
        Llama2cToGgufConverter.convert(bin, null, out, null);
        try (Llama2cCheckpoint ck = Llama2cCheckpoint.open(bin); GgufFile g = GgufFile.open(out)) {
            Map<String, Tensor> expected = ck.tensors();
            assertEquals(expected.size(), g.tensors().size());
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                Tensor t = g.tensor(e.getKey());
                assertEquals(DType.F32, t.type(), e.getKey());
                assertArrayEquals(e.getValue().shape(), t.shape(), e.getKey());
                assertArrayEquals(e.getValue().data().toArray(ValueLayout.JAVA_BYTE), t.data().toArray(ValueLayout.JAVA_BYTE),
                        e.getKey());
            }
            assertEquals("llama", g.getString("general.architecture"));
            assertEquals(64, g.getLong("llama.embedding_length"));
            assertEquals(172, g.getLong("llama.feed_forward_length"));
            assertEquals(5, g.getLong("llama.block_count"));
            assertEquals(8, g.getLong("llama.attention.head_count"));
            assertEquals(4, g.getLong("llama.attention.head_count_kv"));
            assertEquals(512, g.getLong("llama.context_length"));
            assertEquals(8, g.getLong("llama.rope.dimension_count"));
            assertEquals(512, g.getList("tokenizer.ggml.tokens").size());
            assertTrue(g.findTensor("output.weight").isEmpty(), "shared classifier: no output.weight");
        }
    }

    @Test
    void quantizedTypeKeepsVectorsF32() throws IOException {
        Path out = dir.resolve("q8.gguf");
        Llama2cToGgufConverter.convert(SharedFixtures.resolve("models/stories260K.bin"), null, out, LlamaFileType.MOSTLY_Q8_0);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(DType.Q8_0, g.tensor("blk.0.attn_q.weight").type());
            assertEquals(DType.F32, g.tensor("blk.0.attn_norm.weight").type());
            assertEquals(7, g.getLong("general.file_type"));
        }
        // a quantized GGUF becomes an F32 Hugging Face folder holding the dequantized values
        Path hf = dir.resolve("hf-q8");
        GgufToHfConverter.convert(out, hf);
        try (GgufFile g = GgufFile.open(out); var st = dev.jllm.formats.safetensors.SafetensorsModel.open(hf)) {
            Tensor q = g.tensor("blk.1.ffn_up.weight");
            Tensor f = st.tensor("model.layers.1.mlp.up_proj.weight");
            assertEquals(DType.F32, f.type());
            float[] row = new float[(int) q.dim(1)];
            dev.jllm.core.quant.WeightKernels.reference(DType.Q8_0).dequantize(q.data(), 3 * q.rowBytes(), row, 0, row.length);
            float[] got = f.row(3).data().toArray(ValueLayout.JAVA_FLOAT);
            assertArrayEquals(row, got);
        }
    }

    @Test
    void readsTokenizerBin() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<String> pieces = new java.util.ArrayList<>(List.of("<unk>", "\n<s>\n", "\n</s>\n"));
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b));
        }
        pieces.add(" ");
        pieces.add("h");
        pieces.add("i");
        pieces.add(" h");
        pieces.add(" hi");
        while (pieces.size() < 512) {
            pieces.add("x" + pieces.size());
        }
        bytes.writeBytes(le(16));
        for (int i = 0; i < pieces.size(); i++) {
            byte[] s = pieces.get(i).getBytes(StandardCharsets.UTF_8);
            bytes.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(i < 259 ? 0 : -i).array());
            bytes.writeBytes(le(s.length));
            bytes.writeBytes(s);
        }
        Path tok = dir.resolve("tok512.bin");
        Files.write(tok, bytes.toByteArray());
        Path out = dir.resolve("with-tok.gguf");
        Llama2cToGgufConverter.convert(SharedFixtures.resolve("models/stories260K.bin"), tok, out, null);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("<s>", g.getList("tokenizer.ggml.tokens").get(1));
            assertEquals("\u2581hi", g.getList("tokenizer.ggml.tokens").get(263));
        }
        Tokenizer t = GgufTokenizerMetadata.fromGguf(out);
        assertArrayEquals(new int[] {1, 263}, t.encode("hi", true));

        Files.write(tok, java.util.Arrays.copyOf(bytes.toByteArray(), 100));
        FormatException e = assertThrows(FormatException.class,
                () -> Llama2cToGgufConverter.convert(SharedFixtures.resolve("models/stories260K.bin"), tok, dir.resolve("bad.gguf"), null));
        assertTrue(e.getMessage().contains("tok512.bin"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("bad.gguf")));
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
