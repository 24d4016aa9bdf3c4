package dev.jllm.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
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

class SafetensorsTest {
    @TempDir
    Path dir;

    /** A file made of a raw header string and {@code data} bytes. */
    static byte[] raw(String header, int data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    private static FormatException fails(byte[] file, String field, String problem) {
        FormatException e = assertThrows(FormatException.class, () -> SafetensorsFile.from(MemorySegment.ofArray(file), Path.of("m.safetensors")));
        assertTrue(e.field().contains(field), "field " + e.field() + " in " + e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertTrue(e.getMessage().startsWith("m.safetensors"), e.getMessage());
        return e;
    }

    @Test
    void roundTripKeepsMetadataShapesAndBytes() throws IOException {
        float[] w = {1, 2, 3, 4, 5, 6};
        byte[] i8 = {-1, 2, -3};
        Path f = dir.resolve("m.safetensors");
        new SafetensorsWriter()
                .putMetadata("format", "pt")
                .putMetadata("note", "ünïcode ☃")
                .addTensor("w", Tensor.ofFloats(w, 2, 3))
                .addTensor("q", SafetensorsDType.I8, new long[] {3}, MemorySegment.ofArray(i8))
                .addTensor("h", SafetensorsDType.BF16, new long[] {2, 1}, out -> out.write(ByteBuffer.wrap(new byte[] {0, 0x3f, 0, 0x40})))
                .addTensor("s", SafetensorsDType.F64, new long[] {}, MemorySegment.ofArray(new double[] {2.5}))
                .addTensor("e", SafetensorsDType.F32, new long[] {0, 4}, MemorySegment.ofArray(new byte[0]))
                .write(f);
        assertEquals(0, (Files.size(f) - 8 - byteSizeOfData()) % 8);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(Map.of("format", "pt", "note", "ünïcode ☃"), s.metadata());
            assertEquals(List.of("w", "q", "h", "s", "e"), s.tensors().stream().map(SafetensorsTensorInfo::name).toList());
            assertEquals(0, s.dataOffset() % 8);
            Tensor t = s.tensor("w");
            assertEquals(DType.F32, t.type());
            assertArrayEquals(new long[] {2, 3}, t.shape());
            assertArrayEquals(w, t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
            assertArrayEquals(i8, s.bytes("q").toArray(ValueLayout.JAVA_BYTE));
            assertThrows(UnsupportedOperationException.class, () -> s.tensor("q"));
            Tensor h = s.tensor("h");
            assertEquals(DType.BF16, h.type());
            assertEquals(0.5f, Float.intBitsToFloat(h.data().get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) << 16));
            assertEquals(2.5, s.bytes("s").get(ValueLayout.JAVA_DOUBLE_UNALIGNED, 0));
            assertArrayEquals(new long[] {}, s.findTensor("s").orElseThrow().shape());
            assertEquals(0, s.bytes("e").byteSize());
            assertThrows(IllegalArgumentException.class, () -> s.bytes("nope"));
        }
    }

    private static long byteSizeOfData() {
        return 24 + 3 + 4 + 8;
    }

    @Test
    void headerProblems() {
        fails(new byte[5], "header_length", "too short");
        assertThrows(FormatException.class, () -> SafetensorsFile.from(MemorySegment.ofArray(raw("", 0)), null));
        assertEquals(0, assertDoesNotThrow(() -> SafetensorsFile.from(MemorySegment.ofArray(raw("{}", 0)), null)).tensors().size());
        ByteBuffer huge = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        fails(huge.array(), "header_length", "does not fit");
        fails(raw("{\"a\":", 0), "header", "invalid JSON");
        fails(raw("[1,2]", 0), "header", "not a JSON object");
        fails(raw("{} {}", 0), "header", "invalid JSON");
        assertEquals(0, assertDoesNotThrow(() -> SafetensorsFile.from(MemorySegment.ofArray(raw("{}      ", 0)), null)).tensors().size());
        fails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{}}", 4), "header", "Duplicate");
        fails(raw("{\"__metadata__\":{\"a\":1}}", 0), "__metadata__", "must be a string");
        byte[] badUtf8 = raw("{\"a\":\"xx\"}", 0);
        badUtf8[8 + 6] = (byte) 0xC3;
        badUtf8[8 + 7] = (byte) 0x28;
        fails(badUtf8, "header", "invalid JSON");
    }

    @Test
    void tensorProblems() {
        fails(raw("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "\"a\".dtype", "unsupported dtype Q4");
        fails(raw("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "\"a\".dtype", "missing");
        fails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "\"a\".shape[0]", "non-negative");
        fails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "\"a\".shape[0]", "");
        fails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "\"a\".data_offsets", "2 integers");
        fails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 4), "\"a\".data_offsets", "inside the data");
        fails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8), "\"a\".data_offsets", "needs 8");
        fails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", 4), "\"a\".shape", "overflows");
        fails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[99999999999999999999,4]}}", 4), "data_offsets[0]", "");
        fails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "\"b\".data_offsets", "overlaps tensor a");
        fails(raw("{\"a\":3}", 0), "\"a\"", "must be an object");
    }

    @Test
    void shardedModelIsOneView() throws IOException {
        new SafetensorsWriter().addTensor("a", Tensor.ofFloats(new float[] {1, 2}, 2)).write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().addTensor("b", Tensor.ofFloats(new float[] {3}, 1))
                .addTensor("c", Tensor.ofFloats(new float[] {4}, 1)).write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve(SafetensorsModel.INDEX_NAME), """
                {"metadata": {"total_size": 16}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                 "b": "model-00002-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}""");
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            assertEquals(2, m.files().size());
            assertEquals(List.of("a", "b", "c"), m.tensors().stream().map(SafetensorsTensorInfo::name).toList());
            assertEquals(4f, m.tensor("c").data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
            assertEquals(2f, m.bytes("a").get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4));
            assertThrows(IllegalArgumentException.class, () -> m.tensor("d"));
        }
        try (SafetensorsModel m = SafetensorsModel.open(dir.resolve("model-00002-of-00002.safetensors"))) {
            assertEquals(2, m.tensors().size());
        }
        Files.writeString(dir.resolve(SafetensorsModel.INDEX_NAME), """
                {"weight_map": {"a": "model-00002-of-00002.safetensors"}}""");
        FormatException e = assertThrows(FormatException.class, () -> SafetensorsModel.open(dir));
        assertTrue(e.getMessage().contains("weight_map[\"a\"]"), e.getMessage());
        Files.writeString(dir.resolve(SafetensorsModel.INDEX_NAME), """
                {"weight_map": {"a": "../x.safetensors"}}""");
        assertThrows(FormatException.class, () -> SafetensorsModel.open(dir));
        Files.delete(dir.resolve(SafetensorsModel.INDEX_NAME));
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            assertEquals(3, m.tensors().size());
        }
        new SafetensorsWriter().addTensor("a", Tensor.ofFloats(new float[] {1}, 1)).write(dir.resolve("dup.safetensors"));
        assertThrows(FormatException.class, () -> SafetensorsModel.open(dir));
    }
}
