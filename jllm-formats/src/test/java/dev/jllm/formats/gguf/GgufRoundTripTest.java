package dev.jllm.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    private static GgufWriter allTypes() {
        return new GgufWriter()
                .putString("general.architecture", "llama")
                .put("u8", GgufValue.of(GgufValueType.UINT8, 255))
                .put("i8", GgufValue.of(GgufValueType.INT8, -128))
                .put("u16", GgufValue.of(GgufValueType.UINT16, 65535))
                .put("i16", GgufValue.of(GgufValueType.INT16, -32768))
                .putUint32("u32", 4_000_000_000L)
                .putInt32("i32", Integer.MIN_VALUE)
                .putFloat32("f32", 1.5e-3f)
                .putBool("bool", true)
                .putString("unicode", "héllo ☃ 𝄞 日本語")
                .putString("empty", "")
                .putUint64("u64", -1L)
                .putInt64("i64", Long.MIN_VALUE)
                .putFloat64("f64", Math.PI)
                .putArray("tokens", GgufValueType.STRING, List.of("<s>", "▁the", "😀", ""))
                .putArray("scores", GgufValueType.FLOAT32, List.of(0f, -1.25f, Float.NaN))
                .putArray("types", GgufValueType.INT32, List.of(1, 2, 3))
                .putArray("u32s", GgufValueType.UINT32, List.of(0L, 4_294_967_295L))
                .putArray("empty_array", GgufValueType.UINT8, List.of())
                .putArray("bools", GgufValueType.BOOL, List.of(true, false))
                .putArray("nested", GgufValueType.ARRAY, List.of(
                        GgufValue.array(GgufValueType.INT16, List.of(1, -2)),
                        GgufValue.array(GgufValueType.STRING, List.of("x")),
                        GgufValue.array(GgufValueType.ARRAY, List.of(GgufValue.array(GgufValueType.FLOAT64, List.of(2.0)))),
                        GgufValue.array(GgufValueType.UINT64, List.of())));
    }

    @Test
    void metadataOfAllThirteenTypesSurvivesARoundTrip() throws IOException {
        Path f = dir.resolve("m.gguf");
        allTypes().write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(3, g.version());
            Map<String, Object> m = g.metadata();
            assertEquals(List.of("general.architecture", "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "unicode",
                    "empty", "u64", "i64", "f64", "tokens", "scores", "types", "u32s", "empty_array", "bools", "nested"),
                    new ArrayList<>(m.keySet()));
            assertEquals(255, m.get("u8"));
            assertEquals(-128, m.get("i8"));
            assertEquals(65535, m.get("u16"));
            assertEquals(-32768, m.get("i16"));
            assertEquals(4_000_000_000L, m.get("u32"));
            assertEquals(Integer.MIN_VALUE, m.get("i32"));
            assertEquals(1.5e-3f, m.get("f32"));
            assertEquals(Boolean.TRUE, m.get("bool"));
            assertEquals("héllo ☃ 𝄞 日本語", m.get("unicode"));
            assertEquals("", m.get("empty"));
            assertEquals(-1L, m.get("u64"));
            assertEquals(Long.MIN_VALUE, m.get("i64"));
            assertEquals(Math.PI, m.get("f64"));
            assertEquals(List.of("<s>", "▁the", "😀", ""), m.get("tokens"));
            assertEquals(List.of(0f, -1.25f, Float.NaN), m.get("scores"));
            assertEquals(List.of(1, 2, 3), m.get("types"));
            assertEquals(List.of(0L, 4_294_967_295L), m.get("u32s"));
            assertEquals(List.of(), m.get("empty_array"));
            assertEquals(List.of(true, false), m.get("bools"));
            assertEquals(List.of(List.of(1, -2), List.of("x"), List.of(List.of(2.0)), List.of()), m.get("nested"));
            // the typed view keeps every type, including the element types of inner arrays
            assertEquals(GgufValueType.UINT16, g.value("u16").orElseThrow().type());
            assertEquals(GgufValueType.UINT32, g.value("u32s").orElseThrow().elementType());
            GgufValue nested = g.value("nested").orElseThrow();
            assertEquals(GgufValueType.INT16, ((GgufValue) ((List<?>) nested.value()).get(0)).elementType());
            // typed getters
            assertEquals("llama", g.getString("general.architecture"));
            assertEquals(4_000_000_000L, g.getLong("u32"));
            assertEquals(255, g.getLong("u8"));
            assertEquals(7, g.getLong("missing", 7));
            assertEquals(Math.PI, g.getDouble("f64"));
            assertTrue(g.getBoolean("bool"));
            assertEquals(4, g.getList("tokens").size());
            assertTrue(g.findString("u8").isEmpty());
            var e = assertThrows(dev.jllm.formats.FormatException.class, () -> g.getString("u8"));
            assertTrue(e.getMessage().contains("u8"), e.getMessage());
            assertThrows(dev.jllm.formats.FormatException.class, () -> g.getLong("missing"));
            assertTrue(g.tensors().isEmpty());
        }
    }

    @Test
    void copyingAllValuesOfAFileWritesTheSameHeader() throws IOException {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        allTypes().write(a);
        try (GgufFile g = GgufFile.open(a)) {
            new GgufWriter().putAll(g.values()).write(b);
        }
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void tensorsKeepTheirBytesShapesAndAlignment() throws IOException {
        Random r = new Random(1);
        float[] f = new float[3 * 5];
        for (int i = 0; i < f.length; i++) {
            f[i] = r.nextFloat();
        }
        byte[] q = new byte[4 * DType.Q8_0.blockBytes() * 2];
        r.nextBytes(q);
        byte[] k = new byte[DType.Q4_K.blockBytes() * 2];
        r.nextBytes(k);
        byte[] h = new byte[7 * 2];
        r.nextBytes(h);
        Path file = dir.resolve("t.gguf");
        new GgufWriter()
                .putUint32("general.alignment", 64)
                .addTensor("f", Tensor.ofFloats(f, 3, 5))
                .addTensor("q", DType.Q8_0, new long[] {2, 2, 64}, MemorySegment.ofArray(q))
                .addTensor("k", DType.Q4_K, new long[] {2, 256}, out -> out.write(ByteBuffer.wrap(k)))
                .addTensor("h", DType.F16, new long[] {7}, MemorySegment.ofArray(h))
                .write(file);
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(64, g.alignment());
            assertEquals(0, g.dataOffset() % 64);
            assertEquals(4, g.tensors().size());
            GgufTensorInfo fi = g.tensors().get(0);
            assertArrayEquals(new long[] {5, 3}, fi.dims());
            assertArrayEquals(new long[] {3, 5}, fi.shape());
            assertEquals(60, fi.byteSize());
            Tensor ft = g.tensor("f");
            assertArrayEquals(new long[] {3, 5}, ft.shape());
            assertEquals(f[7], ft.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 7 * 4));
            Tensor qt = g.tensor("q");
            assertArrayEquals(new long[] {2, 2, 64}, qt.shape());
            assertArrayEquals(new long[] {64, 2, 2}, g.findTensor("q").orElseThrow().dims());
            assertArrayEquals(q, qt.data().toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(k, g.tensor("k").data().toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(h, g.tensor("h").data().toArray(ValueLayout.JAVA_BYTE));
            for (GgufTensorInfo t : g.tensors()) {
                assertEquals(0, t.offset() % 64, t.name());
            }
            assertThrows(IllegalArgumentException.class, () -> g.tensor("nope"));
        }
    }

    @Test
    void writerRefusesValuesThatDoNotFitTheirType() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.putUint32("x", -1));
        assertThrows(IllegalArgumentException.class, () -> w.put("x", GgufValue.of(GgufValueType.UINT8, 256)));
        assertThrows(IllegalArgumentException.class, () -> w.put("x", GgufValue.of(GgufValueType.STRING, 3)));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("x", GgufValueType.INT8, List.of(1, 200)));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("x", GgufValueType.ARRAY, List.of(List.of(1))));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", DType.Q8_0, new long[] {2, 31}, MemorySegment.ofArray(new byte[64])));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", DType.F32, new long[] {2}, MemorySegment.ofArray(new byte[4])));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", DType.NF4, new long[] {64}, MemorySegment.ofArray(new byte[36])));
        w.addTensor("t", DType.F32, new long[] {1}, MemorySegment.ofArray(new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", DType.F32, new long[] {1}, MemorySegment.ofArray(new byte[4])));
    }

    @Test
    void aFailedWriteLeavesTheTargetAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("x.gguf");
        Files.writeString(file, "old");
        GgufWriter w = new GgufWriter().addTensor("t", DType.F32, new long[] {4}, out -> out.write(ByteBuffer.allocate(8)));
        assertThrows(IllegalStateException.class, () -> w.write(file));
        assertEquals("old", Files.readString(file));
        try (var list = Files.list(dir)) {
            assertEquals(List.of(file), list.toList());
        }
    }

    @Test
    void largeVocabularyArrayRoundTrips() throws IOException {
        List<String> tokens = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            tokens.add("tok" + i);
            scores.add((float) -i);
        }
        Path file = dir.resolve("v.gguf");
        new GgufWriter().putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens)
                .putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, scores).write(file);
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(tokens, g.metadata().get("tokenizer.ggml.tokens"));
            assertEquals(scores, g.metadata().get("tokenizer.ggml.scores"));
            assertFalse(g.has("x"));
        }
    }

    @SuppressWarnings("unused")
    private static Map<String, Object> ordered() {
        return new LinkedHashMap<>();
    }
}
