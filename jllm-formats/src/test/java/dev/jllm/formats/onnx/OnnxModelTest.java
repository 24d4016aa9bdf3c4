package dev.jllm.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.FormatException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The protobuf reader on hand-encoded messages ({@link ProtoWriter}): every way a TensorProto can hold its elements,
 * node attributes, opset imports and value infos read back as written, and malformed input is refused with the file,
 * field path and byte offset.
 */
class OnnxModelTest {
    private static final Path NAME = Path.of("hand.onnx");

    private static OnnxModel model(ProtoWriter graph) throws FormatException {
        byte[] b = new ProtoWriter().varint(1, 9).string(2, "hand").message(7, graph)
                .message(8, new ProtoWriter().varint(2, 17))
                .message(8, new ProtoWriter().string(1, "com.microsoft").varint(2, 1)).toBytes();
        return OnnxModel.from(MemorySegment.ofArray(b), NAME);
    }

    private static OnnxTensor initializer(ProtoWriter tensor) throws FormatException {
        try (OnnxModel m = model(new ProtoWriter().message(5, tensor))) {
            return m.graph().initializers().values().iterator().next();
        }
    }

    @Test
    void tensorsReadFromEveryStorage() throws FormatException {
        OnnxTensor packed = initializer(ProtoWriter.floatTensor("a", new float[] {1.5f, -2f, 3.25f}, 3));
        assertEquals(-2.0, packed.number(1));
        OnnxTensor single = initializer(new ProtoWriter().varint(1, 2).varint(2, 1).string(8, "b")
                .fixed32(4, 0.5f).fixed32(4, -7f));
        assertArrayEquals(new long[] {2}, single.dims());
        assertEquals(-7.0, single.number(1));
        OnnxTensor half = initializer(new ProtoWriter().packed(1, 2).varint(2, 10).string(8, "c")
                .packed(5, Float.floatToFloat16(0.75f) & 0xFFFF, Float.floatToFloat16(-4f) & 0xFFFF));
        assertEquals(OnnxDataType.FLOAT16, half.type());
        assertEquals(-4.0, half.number(1));
        OnnxTensor bytes = initializer(new ProtoWriter().packed(1, 3).varint(2, 3).string(8, "d").packed(5, -1L, 5, -128L));
        assertEquals(-128, bytes.integer(2));
        assertEquals(-1, bytes.integer(0));
        OnnxTensor longs = initializer(ProtoWriter.longTensor("e", new long[] {Long.MIN_VALUE, 42}, 2));
        assertEquals(Long.MIN_VALUE, longs.integer(0));
        OnnxTensor doubles = initializer(new ProtoWriter().packed(1, 1).varint(2, 11).string(8, "f").fixed64(10, Math.PI));
        assertEquals(Math.PI, doubles.number(0));
        OnnxTensor scalar = initializer(new ProtoWriter().varint(2, 1).string(8, "g").fixed32(4, 9f));
        assertEquals(0, scalar.rank());
        assertEquals(1, scalar.elementCount());
        OnnxTensor strings = initializer(new ProtoWriter().packed(1, 1).varint(2, 8).string(8, "h").string(6, "text"));
        assertFalse(strings.hasData());
    }

    @Test
    void nodesAttributesAndValueInfos() throws FormatException {
        ProtoWriter node = new ProtoWriter().string(1, "x").string(1, "").string(1, "w").string(2, "y").string(3, "mm")
                .string(4, "Gemm").string(7, "ai.onnx")
                .message(5, new ProtoWriter().string(1, "alpha").varint(20, 1).fixed32(2, 0.5f))
                .message(5, new ProtoWriter().string(1, "perm").varint(20, 7).packed(8, 0, 2, 1))
                .message(5, new ProtoWriter().string(1, "mode").varint(20, 3).string(4, "tanh"))
                .message(5, new ProtoWriter().string(1, "scales").varint(20, 6).fixed32(7, 1f).fixed32(7, 2f))
                .message(5, new ProtoWriter().string(1, "value").varint(20, 4)
                        .message(5, ProtoWriter.longTensor("", new long[] {3}, 1)));
        ProtoWriter input = new ProtoWriter().string(1, "x").message(2, new ProtoWriter().message(1, new ProtoWriter()
                .varint(1, 1).message(2, new ProtoWriter().message(1, new ProtoWriter().string(2, "batch"))
                        .message(1, new ProtoWriter().varint(1, 384)))));
        try (OnnxModel m = model(new ProtoWriter().message(1, node).string(2, "g").message(11, input))) {
            assertEquals(9, m.irVersion());
            assertEquals("hand", m.producer());
            assertEquals(17, m.opsetVersion(""));
            assertEquals(1, m.opsetVersion("com.microsoft"));
            OnnxNode n = m.graph().nodes().get(0);
            assertEquals(List.of("x", "", "w"), n.inputs());
            assertEquals("Gemm node \"mm\"", n.describe());
            assertEquals(0.5f, n.attribute("alpha").f());
            assertArrayEquals(new long[] {0, 2, 1}, n.attribute("perm").ints());
            assertEquals("tanh", n.attribute("mode").s());
            assertArrayEquals(new float[] {1f, 2f}, n.attribute("scales").floats());
            assertEquals(3, n.attribute("value").t().integer(0));
            OnnxValueInfo v = m.graph().inputs().get(0);
            assertEquals(OnnxDataType.FLOAT, v.elementType());
            assertEquals(List.of("batch", 384L), v.dims());
        }
    }

    @Test
    void malformedTensorsNameFieldAndOffset() {
        assertRefused(ProtoWriter.floatTensor("short", new float[] {1f, 2f}, 3), "model.graph.initializer[0](short).raw_data",
                "holds 8 bytes but FLOAT[3] needs 12");
        assertRefused(new ProtoWriter().packed(1, 2).varint(2, 1).string(8, "few").fixed32(4, 1f),
                "model.graph.initializer[0](few).float_data", "holds 4 bytes but the dims need 8");
        assertRefused(new ProtoWriter().packed(1, 1L << 62, 1L << 62).varint(2, 1).string(8, "huge"),
                "model.graph.initializer[0](huge).dims", "element count overflows");
        assertRefused(new ProtoWriter().packed(1, -3).varint(2, 1).string(8, "neg"), "model.graph.initializer[0](neg).dims",
                "negative dimension -3");
        assertRefused(new ProtoWriter().packed(1, 1).string(8, "untyped").fixed32(4, 1f),
                "model.graph.initializer[0](untyped).data_type", "is not set");
        assertRefused(new ProtoWriter().varint(2, 1).string(8, "segmented").message(3, new ProtoWriter().varint(1, 0)),
                "model.graph.initializer[0].segment", "segmented tensors are not supported");
        assertRefused(new ProtoWriter().varint(2, 1).string(8, 9L + "").fixed32(2, 1f), "model.graph.initializer[0].data_type",
                "has wire type 5, expected 0");
        assertRefused(new ProtoWriter().packed(1, 2).varint(2, 7).string(8, "cut").raw((byte) 0x3A, (byte) 0x02, (byte) 0x81,
                (byte) 0x81), "model.graph.initializer[0](cut).int64_data", "a packed run ends inside a varint");
    }

    private static void assertRefused(ProtoWriter tensor, String field, String problem) {
        FormatException e = assertThrows(FormatException.class, () -> initializer(tensor));
        assertEquals(NAME, e.file());
        assertTrue(e.offset() > 0, e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().endsWith(problem), e.getMessage());
    }

    @Test
    void malformedModelsNameWhereTheyBreak() {
        FormatException e = assertThrows(FormatException.class,
                () -> OnnxModel.from(MemorySegment.ofArray(new byte[] {0x08, (byte) 0x80}), NAME));
        assertEquals(1, e.offset());
        assertTrue(e.getMessage().contains("varint runs past the end"), e.getMessage());
        e = assertThrows(FormatException.class, () -> OnnxModel.from(MemorySegment.ofArray(new byte[] {0x0B}), NAME));
        assertTrue(e.getMessage().contains("unsupported wire type 3"), e.getMessage());
        e = assertThrows(FormatException.class, () -> OnnxModel.from(MemorySegment.ofArray(new byte[] {0x08, 0x01}), NAME));
        assertEquals("model.graph", e.field());
        e = assertThrows(FormatException.class, () -> model(new ProtoWriter().message(1, new ProtoWriter().string(3, "n"))));
        assertEquals("model.graph.node[0].op_type", e.field());
        e = assertThrows(FormatException.class, () -> model(new ProtoWriter()
                .message(5, ProtoWriter.floatTensor("twice", new float[] {1}, 1))
                .message(5, ProtoWriter.floatTensor("twice", new float[] {2}, 1))));
        assertTrue(e.getMessage().contains("\"twice\" is used twice"), e.getMessage());
        e = assertThrows(FormatException.class, () -> model(new ProtoWriter().message(1, new ProtoWriter().string(4, "Op")
                .bytes(3, new byte[] {(byte) 0xC3, 0x28}))));
        assertTrue(e.getMessage().contains("is not valid UTF-8"), e.getMessage());
        assertNull(e.getCause());
    }
}
