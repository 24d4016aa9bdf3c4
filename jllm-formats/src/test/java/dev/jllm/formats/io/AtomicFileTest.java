package dev.jllm.formats.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheTargetWithTheWholeContent() throws IOException {
        Path f = dir.resolve("a.bin");
        Files.writeString(f, "old content that is longer");
        AtomicFile.write(f, ch -> ch.write(ByteBuffer.wrap("new".getBytes(StandardCharsets.UTF_8))));
        assertEquals("new", Files.readString(f));
        try (var s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
    }

    @Test
    void aFailureLeavesTheTargetAndDeletesTheTemporaryFile() throws IOException {
        Path f = dir.resolve("a.bin");
        Files.writeString(f, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(f, ch -> {
            ch.write(ByteBuffer.wrap(new byte[100]));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old", Files.readString(f));
        try (var s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
    }

    @Test
    void relativeTargetsAreWrittenInTheirFolder() throws IOException {
        Path f = dir.resolve("sub").resolve("b.bin");
        Files.createDirectories(f.getParent());
        AtomicFile.write(f, ch -> ch.write(ByteBuffer.wrap(new byte[] {1, 2})));
        assertEquals(2, Files.size(f));
    }
}
