package dev.jllm.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of bad header is a FormatException naming the file, the offset and the field. */
class GgufValidationTest {
    private static final Path NAME = Path.of("bad.gguf");

    private static FormatException fails(RawGguf raw, String field, String problem) {
        FormatException e = assertThrows(FormatException.class, () -> GgufFile.from(raw.segment(), NAME));
        assertTrue(e.field().contains(field), "field " + e.field() + " in: " + e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertTrue(e.getMessage().startsWith("bad.gguf at offset "), e.getMessage());
        return e;
    }

    @Test
    void magicAndVersion() {
        fails(new RawGguf().u32(0x46554746).u32(3).u64(0).u64(0), "magic", "not a GGUF file");
        fails(new RawGguf().u32(0x46554747).u32(1).u64(0).u64(0), "version", "only versions 2 and 3");
        fails(new RawGguf().u32(0x46554747).u32(0x03000000).u64(0).u64(0), "version", "big-endian");
        fails(new RawGguf().u8('G').u8('G'), "magic", "file ends");
        assertEquals(4, fails(new RawGguf().u32(0x46554747).u32(3).u64(0), "metadata_kv_count", "file ends").offset() - 12);
    }

    @Test
    void versionTwoIsRead() throws FormatException {
        RawGguf raw = new RawGguf().u32(0x46554747).u32(2).u64(0).u64(1).str("k").u32(8).str("v");
        try (GgufFile g = GgufFile.from(raw.segment(), NAME)) {
            assertEquals(2, g.version());
            assertEquals("v", g.metadata().get("k"));
        }
    }

    @Test
    void hugeCountsAndLengthsAreRefusedBeforeAllocating() {
        fails(new RawGguf().header(0, 1L << 40), "metadata_kv_count", "larger than");
        fails(new RawGguf().header(1L << 50, 0), "tensor_count", "larger than");
        fails(new RawGguf().header(0, 1).u64(1L << 40).zeros(20), "metadata[0].key.length", "larger than");
        fails(new RawGguf().header(0, 1).str("k").u32(8).u64(-1L).zeros(20), "k.length", "larger than");
        fails(new RawGguf().header(0, 1).str("k").u32(9).u32(8).u64(1L << 40).zeros(64), "k.count", "larger than");
        fails(new RawGguf().header(0, 1).str("k").u32(9).u32(0).u64(1000).zeros(10), "k.count", "larger than");
    }

    @Test
    void badValues() {
        fails(new RawGguf().header(0, 1).str("k").u32(13).u32(0), "metadata[0].type (k)", "unknown value type 13");
        fails(new RawGguf().header(0, 1).str("k").u32(7).u8(2), "k", "neither 0 nor 1");
        fails(new RawGguf().header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2), "metadata[1].key", "duplicate key");
        fails(new RawGguf().header(0, 1).str("k").u32(9).u32(13).u64(1).zeros(8), "k.element_type", "unknown value type");
        RawGguf deep = new RawGguf().header(0, 1).str("k").u32(9);
        for (int i = 0; i < 40; i++) {
            deep.u32(9).u64(1);
        }
        fails(deep.zeros(16), "k", "nested deeper");
    }

    @Test
    void alignment() {
        fails(new RawGguf().header(0, 1).str("general.alignment").u32(4).u32(48), "general.alignment", "power of two");
        fails(new RawGguf().header(0, 1).str("general.alignment").u32(4).u32(0), "general.alignment", "power of two");
        fails(new RawGguf().header(0, 1).str("general.alignment").u32(8).str("32"), "general.alignment", "integer");
    }

    @Test
    void tensorInfos() {
        fails(new RawGguf().header(1, 0).tensor("t", 0, 0).pad(32), "tensor_infos[0].n_dims", "0 dimensions");
        fails(new RawGguf().header(1, 0).str("t").u32(5).zeros(64).pad(32), "tensor_infos[0].n_dims", "5 dimensions");
        fails(new RawGguf().header(1, 0).tensor("t", 0, 0, -4).pad(32), "tensor_infos[0].dims", "negative");
        fails(new RawGguf().header(1, 0).tensor("t", 0, 0, 1L << 62, 1L << 62).pad(32), "tensor_infos[0].dims", "overflows");
        fails(new RawGguf().header(1, 0).tensor("t", 0, 0, 1L << 62, 2).pad(32), "tensor_infos[0].dims", "");
        fails(new RawGguf().header(1, 0).tensor("t", 19, 0, 4).pad(32).zeros(32), "tensor_infos[0].dims", "IQ1_S's block size 256");
        fails(new RawGguf().header(1, 0).tensor("t", 4, 0, 4).pad(32).zeros(32), "tensor_infos[0].type", "GGML type id 4");
        fails(new RawGguf().header(1, 0).tensor("t", 99, 0, 4).pad(32).zeros(32), "tensor_infos[0].type", "GGML type id 99");
        fails(new RawGguf().header(1, 0).tensor("t", 8, 0, 31).pad(32).zeros(64), "tensor_infos[0].dims", "block size");
        fails(new RawGguf().header(2, 0).tensor("t", 0, 0, 4).tensor("t", 0, 32, 4).pad(32).zeros(64),
                "tensor_infos[1].name", "duplicate tensor name");
    }

    @Test
    void tensorPlacement() throws FormatException {
        fails(new RawGguf().header(1, 0).tensor("t", 0, 8, 4).pad(32).zeros(64), "tensor_infos[0].offset", "alignment");
        fails(new RawGguf().header(1, 0).tensor("t", 0, 0, 16).pad(32).zeros(63), "tensor_infos[0].offset", "past the end");
        fails(new RawGguf().header(1, 0).tensor("t", 0, -32, 16).pad(32).zeros(64), "tensor_infos[0].offset", "");
        fails(new RawGguf().header(1, 0).tensor("t", 0, 1L << 62, 16).pad(32).zeros(64), "tensor_infos[0].offset", "past the end");
        fails(new RawGguf().header(2, 0).tensor("a", 0, 0, 16).tensor("b", 0, 32, 16).pad(32).zeros(96),
                "tensor_infos[1].offset", "overlaps tensor \"a\"");
        // exactly fitting tensors, in any order, are fine
        RawGguf ok = new RawGguf().header(2, 0).tensor("a", 0, 64, 16).tensor("b", 0, 0, 16).pad(32).zeros(128);
        try (GgufFile g = GgufFile.from(ok.segment(), NAME)) {
            assertEquals(64, g.tensor("b").data().byteSize());
        }
    }

    @Test
    void openNamesTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.gguf");
        Files.write(f, new RawGguf().header(0, 1).u64(1L << 40).zeros(16).bytes());
        FormatException e = assertThrows(FormatException.class, () -> GgufFile.open(f));
        assertTrue(e.getMessage().startsWith(f + " at offset 24, metadata[0].key.length: "), e.getMessage());
        Path empty = dir.resolve("empty.gguf");
        Files.write(empty, new byte[0]);
        assertThrows(FormatException.class, () -> GgufFile.open(empty));
    }
}
