package dev.jllm.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.hf.HfModelConfig;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.safetensors.SafetensorsTensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real all-MiniLM-L6-v2 export (PyTorch 2.0.1, opset 11, decomposed LayerNorm and Erf GELU, unnamed MatMul
 * weights): it parses; its I/O agrees with ONNX Runtime's reading; the converted folder has Hugging Face BERT's
 * names and config, holds every initializer's values exactly once (where the export kept Hugging Face's names, under
 * that name), loads with the project's readers; and a plain scalar BERT forward over the converted weights
 * reproduces ONNX Runtime's {@code last_hidden_state}.
 */
class OnnxBertImportMiniLmTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void parsesTheExportAsOnnxRuntimeReadsIt() throws IOException, OrtException {
        Path file = MiniLmExport.onnx();
        long start = System.nanoTime();
        try (OnnxModel m = OnnxModel.open(file)) {
            System.out.printf("parsed %s (%d bytes) in %.1f ms%n", file.getFileName(), Files.size(file),
                    (System.nanoTime() - start) / 1e6);
            assertEquals(6, m.irVersion());
            assertEquals("pytorch", m.producer());
            assertEquals(11, m.opsetVersion(""));
            OnnxGraph g = m.graph();
            assertEquals(102, g.initializers().size());
            OnnxTensor words = g.initializers().get("embeddings.word_embeddings.weight");
            assertArrayEquals(new long[] {30522, 384}, words.dims());
            assertEquals(OnnxDataType.FLOAT, words.type());
            assertTrue(words.data().isNative() && words.data().isMapped(), "raw_data is a view of the mapping");
            assertEquals(30522L * 384 * 4, words.data().byteSize());
            OnnxTensor ids = g.initializers().get("embeddings.position_ids");
            assertEquals(OnnxDataType.INT64, ids.type());
            assertEquals(511, ids.integer(511));
            try (OrtEnvironment env = OrtEnvironment.getEnvironment();
                    OrtSession s = env.createSession(file.toString(), new OrtSession.SessionOptions())) {
                assertIo(s.getInputInfo(), g.inputs());
                assertIo(s.getOutputInfo(), g.outputs());
            }
            Set<String> ops = new HashSet<>();
            g.nodes().forEach(n -> ops.add(n.opType()));
            assertTrue(ops.containsAll(Set.of("Gather", "MatMul", "Erf", "ReduceMean", "Softmax")), ops.toString());
        }
    }

    private static void assertIo(Map<String, NodeInfo> ort, List<OnnxValueInfo> ours) {
        assertEquals(ort.keySet(), new HashSet<>(ours.stream().map(OnnxValueInfo::name).toList()));
        for (OnnxValueInfo v : ours) {
            TensorInfo t = (TensorInfo) ort.get(v.name()).getInfo();
            long[] shape = t.getShape();
            assertEquals(shape.length, v.dims().size(), v.name());
            for (int i = 0; i < shape.length; i++) {
                Object d = v.dims().get(i);
                long dim = d instanceof Long l ? l : -1L;
                assertEquals(shape[i], dim, v.name() + " dim " + i);
            }
            assertEquals(t.type.name(), v.elementType().name(), v.name());
        }
    }

    @Test
    void convertsToAHuggingFaceBertFolder(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("minilm");
        BertImportPlan plan = OnnxBertImport.convert(MiniLmExport.onnx(), MiniLmExport.tokenizer(), out);

        JsonNode c = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("BertModel", c.get("architectures").get(0).asText());
        assertEquals("bert", c.get("model_type").asText());
        assertEquals(384, c.get("hidden_size").asInt());
        assertEquals(6, c.get("num_hidden_layers").asInt());
        assertEquals(12, c.get("num_attention_heads").asInt());
        assertEquals(1536, c.get("intermediate_size").asInt());
        assertEquals(30522, c.get("vocab_size").asInt());
        assertEquals(512, c.get("max_position_embeddings").asInt());
        assertEquals(2, c.get("type_vocab_size").asInt());
        assertEquals(1e-12, c.get("layer_norm_eps").asDouble());
        assertEquals("gelu", c.get("hidden_act").asText());
        HfModelConfig hf = HfModelConfig.read(out.resolve("config.json"));
        assertEquals("bert", hf.modelType());
        assertEquals(384, hf.width().orElseThrow());
        assertEquals(6, hf.layers().orElseThrow());
        assertEquals(12, hf.heads().orElseThrow());
        assertArrayEquals(Files.readAllBytes(MiniLmExport.tokenizer()), Files.readAllBytes(out.resolve("tokenizer.json")));
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("minilm"), s.map(p -> p.getFileName().toString()).toList(), "no temporary folder is left");
        }

        try (OnnxModel m = OnnxModel.open(MiniLmExport.onnx());
                SafetensorsModel st = SafetensorsModel.open(out.resolve("model.safetensors"))) {
            Set<String> names = new HashSet<>();
            for (SafetensorsTensorInfo t : st.tensors()) {
                names.add(t.name());
            }
            assertEquals(expectedNames(6), names);
            // every initializer lands in exactly one tensor (position ids are checked as 0..511 instead)
            Map<OnnxTensor, List<BertImportPlan.Tensor>> uses = new IdentityHashMap<>();
            for (BertImportPlan.Tensor t : plan.tensors()) {
                assertNotNull(t.source(), t.name() + " has a source in this export");
                uses.computeIfAbsent(t.source(), k -> new ArrayList<>()).add(t);
            }
            int renamed = 0;
            for (Map.Entry<String, OnnxTensor> e : m.graph().initializers().entrySet()) {
                if (e.getKey().equals("embeddings.position_ids")) {
                    assertEquals(1, plan.positionIds().size());
                    continue;
                }
                List<BertImportPlan.Tensor> placed = uses.get(plan.tensors().stream().map(BertImportPlan.Tensor::source)
                        .filter(s -> s.name().equals(e.getKey())).findFirst().orElseThrow(() -> new AssertionError(
                                e.getKey() + " was not placed")));
                assertEquals(1, placed.size(), e.getKey());
                BertImportPlan.Tensor t = placed.get(0);
                if (!e.getKey().startsWith("onnx::")) {
                    assertEquals(e.getKey(), t.name(), "a weight the export kept its Hugging Face name for");
                } else {
                    renamed++;
                    assertTrue(t.name().endsWith(".weight") && t.transposed(), t.name());
                }
                assertSameValues(e.getValue(), st.bytes(t.name()), t.transposed());
            }
            assertEquals(36, renamed, "six dense weights per layer had no names");
        }
    }

    private static void assertSameValues(OnnxTensor src, MemorySegment hf, boolean transposed) {
        assertEquals(src.data().byteSize(), hf.byteSize(), src.name());
        long[] d = src.dims();
        long n = src.elementCount();
        for (long i = 0; i < n; i++) {
            long j = i;
            if (transposed) {
                long row = i / d[1];
                long col = i % d[1];
                j = col * d[0] + row;
            }
            int want = src.data().get(ValueLayout.JAVA_INT_UNALIGNED, i * 4);
            int got = hf.get(ValueLayout.JAVA_INT_UNALIGNED, j * 4);
            if (want != got) {
                throw new AssertionError(src.name() + " element " + i + ": " + Float.intBitsToFloat(want) + " became "
                        + Float.intBitsToFloat(got));
            }
        }
    }

    static Set<String> expectedNames(int layers) {
        Set<String> s = new HashSet<>();
        for (String e : List.of("word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight",
                "LayerNorm.weight", "LayerNorm.bias")) {
            s.add("embeddings." + e);
        }
        for (int l = 0; l < layers; l++) {
            for (String p : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
                    "output.LayerNorm")) {
                s.add("encoder.layer." + l + "." + p + ".weight");
                s.add("encoder.layer." + l + "." + p + ".bias");
            }
        }
        return s;
    }

    @Test
    void scalarForwardOverTheConvertedWeightsMatchesOnnxRuntime(@TempDir Path dir) throws IOException, OrtException {
        Path out = dir.resolve("hf");
        OnnxBertImport.convert(MiniLmExport.onnx(), null, out);
        // [CLS] hello world ! [SEP] [PAD] with the second segment's type and the padding masked
        long[] ids = {101, 7592, 2088, 999, 102, 0};
        long[] types = {0, 0, 0, 1, 1, 0};
        long[] mask = {1, 1, 1, 1, 1, 0};
        float[][] ours;
        try (SafetensorsModel st = SafetensorsModel.open(out.resolve("model.safetensors"))) {
            ours = new ScalarBert(st, 6, 12, 1e-12).forward(ids, types, mask);
        }
        float[][][] ort;
        try (OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession s = env.createSession(MiniLmExport.onnx().toString(), new OrtSession.SessionOptions())) {
            Map<String, ai.onnxruntime.OnnxTensor> in = new HashMap<>();
            in.put("input_ids", ai.onnxruntime.OnnxTensor.createTensor(env, new long[][] {ids}));
            in.put("token_type_ids", ai.onnxruntime.OnnxTensor.createTensor(env, new long[][] {types}));
            in.put("attention_mask", ai.onnxruntime.OnnxTensor.createTensor(env, new long[][] {mask}));
            try (OrtSession.Result r = s.run(in)) {
                ort = (float[][][]) r.get(0).getValue();
            }
            in.values().forEach(ai.onnxruntime.OnnxTensor::close);
        }
        double worst = 0;
        for (int t = 0; t < 5; t++) {
            for (int i = 0; i < 384; i++) {
                worst = Math.max(worst, Math.abs(ours[t][i] - ort[0][t][i]));
            }
        }
        System.out.printf("scalar forward vs ONNX Runtime: max abs difference %.3g%n", worst);
        assertTrue(worst < 1e-5, "max abs difference " + worst);
    }
}
