package dev.jllm.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.safetensors.SafetensorsModel;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-made ONNX graphs ({@link TinyBertGraph}) in another exporter's style: the conversion places each opaque
 * initializer under the Hugging Face name it was built as, with its values; ONNX Runtime running the same bytes
 * agrees with a scalar forward over the converted folder; and graphs that are not BERT encoders get errors naming the
 * operator and node that does not fit.
 */
class OnnxBertImportGraphTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void placesEveryOpaqueInitializerAndInfersTheConfig(@TempDir Path dir) throws IOException, OrtException {
        TinyBertGraph tiny = new TinyBertGraph();
        Path onnx = write(dir, tiny.build());
        Path out = dir.resolve("hf");
        OnnxBertImport.convert(onnx, null, out);
        JsonNode c = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals(TinyBertGraph.HIDDEN, c.get("hidden_size").asInt());
        assertEquals(2, c.get("num_hidden_layers").asInt());
        assertEquals(TinyBertGraph.HEADS, c.get("num_attention_heads").asInt());
        assertEquals(TinyBertGraph.INNER, c.get("intermediate_size").asInt());
        assertEquals(TinyBertGraph.VOCAB, c.get("vocab_size").asInt());
        assertEquals(TinyBertGraph.POSITIONS, c.get("max_position_embeddings").asInt());
        assertEquals(2, c.get("type_vocab_size").asInt());
        assertEquals(1e-5, c.get("layer_norm_eps").asDouble());
        assertEquals("gelu", c.get("hidden_act").asText());
        assertFalse(Files.exists(out.resolve("tokenizer.json")));
        try (SafetensorsModel st = SafetensorsModel.open(out.resolve("model.safetensors"))) {
            assertEquals(tiny.hfNames.size(), st.tensors().size());
            for (Map.Entry<String, String> e : tiny.hfNames.entrySet()) {
                float[] want = tiny.weights.get(e.getKey());
                float[] got = st.bytes(e.getValue()).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
                long[] shape = st.findTensor(e.getValue()).orElseThrow().shape();
                for (int i = 0; i < want.length; i++) {
                    // an [in, out] initializer is Hugging Face's [out, in] transposed
                    int j = tiny.transposed.contains(e.getKey()) ? (int) ((i % shape[0]) * shape[1] + i / shape[0]) : i;
                    assertEquals(want[i], got[j], e.getValue() + " element " + i);
                }
            }
            float[][] ours = new ScalarBert(st, 2, TinyBertGraph.HEADS, TinyBertGraph.EPS).forward(
                    new long[] {3, 1, 4, 1, 5}, new long[] {0, 0, 1, 1, 1}, new long[] {1, 1, 1, 1, 1});
            float[][][] ort = runOrt(onnx, new long[] {3, 1, 4, 1, 5}, new long[] {0, 0, 1, 1, 1});
            for (int t = 0; t < TinyBertGraph.SEQ; t++) {
                for (int i = 0; i < TinyBertGraph.HIDDEN; i++) {
                    assertEquals(ort[0][t][i], ours[t][i], 1e-5, "token " + t + " element " + i);
                }
            }
        }
    }

    @Test
    void writtenOutLayerNormAndTanhGeluMatchOnnxRuntime(@TempDir Path dir) throws IOException, OrtException {
        TinyBertGraph tiny = new TinyBertGraph();
        tiny.opset20 = true;
        tiny.activation = "gelu-tanh";
        Path onnx = write(dir, tiny.build());
        BertImportPlan plan = OnnxBertImport.convert(onnx, null, dir.resolve("hf"));
        assertEquals("gelu_new", plan.hiddenAct());
        assertEquals(TinyBertGraph.EPS, (float) plan.layerNormEps());
        assertEquals(TinyBertGraph.HEADS, plan.heads());
        try (SafetensorsModel st = SafetensorsModel.open(dir.resolve("hf/model.safetensors"))) {
            long[] ids = {7, 0, 19, 2, 2};
            long[] types = {0, 1, 0, 1, 0};
            float[][] ours = new ScalarBert(st, 2, TinyBertGraph.HEADS, TinyBertGraph.EPS, true).forward(ids, types,
                    new long[] {1, 1, 1, 1, 1});
            float[][][] ort = runOrt(onnx, ids, types);
            for (int t = 0; t < TinyBertGraph.SEQ; t++) {
                for (int i = 0; i < TinyBertGraph.HIDDEN; i++) {
                    assertEquals(ort[0][t][i], ours[t][i], 1e-5, "token " + t + " element " + i);
                }
            }
        }
    }

    @Test
    void aGraphWithoutTokenTypesGetsOneZeroTokenType(@TempDir Path dir) throws IOException {
        TinyBertGraph tiny = new TinyBertGraph();
        tiny.tokenTypes = false;
        tiny.layers = 1;
        Path out = dir.resolve("hf");
        OnnxBertImport.convert(write(dir, tiny.build()), null, out);
        assertEquals(1, JSON.readTree(out.resolve("config.json").toFile()).get("type_vocab_size").asInt());
        try (SafetensorsModel st = SafetensorsModel.open(out.resolve("model.safetensors"))) {
            float[] types = st.bytes("embeddings.token_type_embeddings.weight").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            assertEquals(TinyBertGraph.HIDDEN, types.length);
            for (float v : types) {
                assertEquals(0f, v);
            }
        }
    }

    @Test
    void positionIdsGivenAsAnInputIndexThePositionTable(@TempDir Path dir) throws IOException {
        TinyBertGraph tiny = new TinyBertGraph();
        tiny.positionInput = true;
        tiny.layers = 1;
        BertImportPlan plan = OnnxBertImport.convert(write(dir, tiny.build()), null, dir.resolve("hf"));
        assertEquals(TinyBertGraph.POSITIONS, plan.maxPositions());
        assertEquals(TinyBertGraph.VOCAB, plan.vocabSize());
        assertEquals(2, plan.typeVocabSize());
    }

    @Test
    void positionIdsOtherThanZeroOneTwoAreRefused(@TempDir Path dir) throws IOException {
        TinyBertGraph tiny = new TinyBertGraph();
        tiny.swapPositions = true;
        Path onnx = write(dir, tiny.build());
        FormatException e = assertThrows(FormatException.class, () -> OnnxBertImport.convert(onnx, null, dir.resolve("x")));
        assertTrue(e.getMessage().contains("position ids pos_ids INT64[1, 5] are not 0, 1, 2, … (element 1 is 2)"),
                e.getMessage());
    }

    @Test
    void headsComeFromTheScoreScaleWhenShapesAreComputed(@TempDir Path dir) throws IOException {
        TinyBertGraph tiny = new TinyBertGraph();
        tiny.dynamicHeadShapes = true;
        assertEquals(TinyBertGraph.HEADS, OnnxBertImport.convert(write(dir, tiny.build()), null, dir.resolve("hf")).heads());
        tiny = new TinyBertGraph();
        tiny.dynamicHeadShapes = true;
        tiny.unscaledScores = true;
        Path onnx = write(dir, tiny.build());
        FormatException e = assertThrows(FormatException.class, () -> OnnxBertImport.convert(onnx, null, dir.resolve("x")));
        assertTrue(e.getMessage().contains("MatMul node \"n") && e.getMessage().contains("the number of heads cannot be read "
                + "from layer 0 (no constant Reshape or score scale, and the width 8 is not a multiple of 64)"), e.getMessage());
    }

    @Test
    void otherActivationsAreNamedOrRefused(@TempDir Path dir) throws IOException {
        TinyBertGraph relu = new TinyBertGraph();
        relu.activation = "Relu";
        relu.layers = 1;
        OnnxBertImport.convert(write(dir, relu.build()), null, dir.resolve("relu"));
        assertEquals("relu", JSON.readTree(dir.resolve("relu/config.json").toFile()).get("hidden_act").asText());

        TinyBertGraph odd = new TinyBertGraph();
        odd.activation = "HardSwish";
        Path onnx = write(dir, odd.build());
        FormatException e = assertThrows(FormatException.class, () -> OnnxBertImport.convert(onnx, null, dir.resolve("x")));
        assertTrue(e.getMessage().contains("HardSwish node \"act_l0\""), e.getMessage());
        assertFalse(Files.exists(dir.resolve("x")), "nothing is written for a graph that is not placed");
    }

    @Test
    void aStrayOperatorIsNamed(@TempDir Path dir) throws IOException {
        TinyBertGraph tiny = new TinyBertGraph();
        tiny.strayOp = "TopK";
        Path onnx = write(dir, tiny.build());
        FormatException e = assertThrows(FormatException.class, () -> OnnxBertImport.convert(onnx, null, dir.resolve("x")));
        assertTrue(e.getMessage().contains("TopK node \"stray\""), e.getMessage());
        assertTrue(e.getMessage().contains("not part of a BERT-family encoder"), e.getMessage());
    }

    @Test
    void aFusedEmbeddingOperatorIsNamed(@TempDir Path dir) throws IOException {
        TinyBertGraph tiny = new TinyBertGraph();
        tiny.wordLookupOp = "EmbedLayerNormalization";
        Path onnx = write(dir, tiny.build());
        FormatException e = assertThrows(FormatException.class, () -> OnnxBertImport.convert(onnx, null, dir.resolve("x")));
        assertTrue(e.getMessage().contains("EmbedLayerNormalization node \"word_lookup\": cannot place it"), e.getMessage());
    }

    @Test
    void badFilesAndFoldersGetClearErrors(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("notes.onnx");
        Files.writeString(text, "this is not a protobuf", StandardCharsets.UTF_8);
        FormatException e = assertThrows(FormatException.class, () -> OnnxModel.open(text).close());
        assertTrue(e.getMessage().startsWith(text + " at offset "), e.getMessage());

        byte[] good = new TinyBertGraph().build();
        Path cut = write(dir, java.util.Arrays.copyOf(good, good.length / 2));
        e = assertThrows(FormatException.class, () -> OnnxModel.open(cut).close());
        assertTrue(e.getMessage().contains("model.graph"), e.getMessage());

        Path onnx = write(dir, good);
        Path vocab = Files.writeString(dir.resolve("vocab.txt"), "[PAD]\n[UNK]\n");
        e = assertThrows(FormatException.class, () -> OnnxBertImport.convert(onnx, vocab, dir.resolve("y")));
        assertTrue(e.getMessage().startsWith(vocab + ", tokenizer.json: is not JSON"), e.getMessage());
        Path busy = Files.createDirectories(dir.resolve("busy"));
        Files.writeString(busy.resolve("keep.txt"), "mine");
        assertThrows(IOException.class, () -> OnnxBertImport.convert(onnx, null, busy));
        assertEquals("mine", Files.readString(busy.resolve("keep.txt")));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        OnnxBertImport.convert(onnx, null, empty);
        assertTrue(Files.exists(empty.resolve("model.safetensors")));
    }

    @Test
    void externalDataIsReadFromTheModelsFolderOnly(@TempDir Path dir) throws IOException {
        byte[] data = new byte[16];
        for (int i = 0; i < 4; i++) {
            java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(4 * i, i + 0.5f);
        }
        Files.write(dir.resolve("weights.bin"), data);
        Path model = write(dir, modelWithExternal("weights.bin", 0, 16));
        try (OnnxModel m = OnnxModel.open(model)) {
            OnnxTensor t = m.graph().initializers().get("ext");
            assertEquals(2.5, t.number(2));
        }
        Path escape = write(dir, modelWithExternal("../weights.bin", 0, 16));
        FormatException e = assertThrows(FormatException.class, () -> OnnxModel.open(escape).close());
        assertTrue(e.getMessage().contains("outside the model's folder"), e.getMessage());
        Path past = write(dir, modelWithExternal("weights.bin", 8, 16));
        e = assertThrows(FormatException.class, () -> OnnxModel.open(past).close());
        assertTrue(e.getMessage().contains("external_data"), e.getMessage());
    }

    private static byte[] modelWithExternal(String location, long offset, long length) {
        ProtoWriter t = new ProtoWriter().packed(1, 4).varint(2, 1).string(8, "ext")
                .message(13, new ProtoWriter().string(1, "location").string(2, location))
                .message(13, new ProtoWriter().string(1, "offset").string(2, Long.toString(offset)))
                .message(13, new ProtoWriter().string(1, "length").string(2, Long.toString(length))).varint(14, 1);
        return new ProtoWriter().varint(1, 8).message(7, new ProtoWriter().message(5, t)).toBytes();
    }

    private static int files;

    private static Path write(Path dir, byte[] bytes) throws IOException {
        Path f = dir.resolve("m" + files++ + ".onnx");
        Files.write(f, bytes);
        return f;
    }

    private static float[][][] runOrt(Path onnx, long[] ids, long[] types) throws OrtException {
        try (OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession s = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
            Map<String, ai.onnxruntime.OnnxTensor> in = new HashMap<>();
            in.put("input_ids", ai.onnxruntime.OnnxTensor.createTensor(env, new long[][] {ids}));
            in.put("token_type_ids", ai.onnxruntime.OnnxTensor.createTensor(env, new long[][] {types}));
            try (OrtSession.Result r = s.run(in)) {
                return (float[][][]) r.get(0).getValue();
            } finally {
                in.values().forEach(ai.onnxruntime.OnnxTensor::close);
            }
        }
    }
}
