package dev.jllm.train.data;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.FormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record of a run's text inputs: survives a write and read, and catches any changed input. */
class ShardOriginTest {
    @Test
    void roundTripsAndCatchesChanges(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a b.txt"), "first file");
        Path b = Files.writeString(dir.resolve("b.txt"), "second file");
        Path tok = Files.writeString(dir.resolve("tok.json"), "{}");
        ShardOrigin origin = ShardOrigin.of(List.of(a, b), tok, 0.1, 0);
        // SHA-256("abc"), the FIPS 180-2 example
        Path abc = Files.writeString(dir.resolve("abc"), "abc");
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ShardOrigin.sha256(abc));
        Path file = dir.resolve("origin.txt");
        origin.write(file);
        ShardOrigin read = ShardOrigin.read(file);
        assertEquals(origin, read);
        assertDoesNotThrow(() -> read.requireSame(ShardOrigin.of(List.of(a, b), tok, 0.1, 0), true));

        Files.writeString(b, "second file, edited");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> read.requireSame(ShardOrigin.of(List.of(a, b), tok, 0.1, 0), true));
        assertTrue(e.getMessage().contains("b.txt"), e.getMessage());
        Files.writeString(b, "second file");
        assertThrows(IllegalArgumentException.class,
                () -> read.requireSame(ShardOrigin.of(List.of(b, a), tok, 0.1, 0), true), "order matters");
        assertThrows(IllegalArgumentException.class,
                () -> read.requireSame(ShardOrigin.of(List.of(a), tok, 0.1, 0), true));
        assertThrows(IllegalArgumentException.class,
                () -> read.requireSame(ShardOrigin.of(List.of(a, b), tok, 0.2, 0), true));
        Files.writeString(tok, "{\"other\":1}");
        ShardOrigin otherTokenizer = ShardOrigin.of(List.of(a, b), tok, 0.1, 0);
        assertThrows(IllegalArgumentException.class, () -> read.requireSame(otherTokenizer, true));
        assertDoesNotThrow(() -> read.requireSame(otherTokenizer, false));

        Files.writeString(file, "something else\n");
        assertThrows(FormatException.class, () -> ShardOrigin.read(file));
        Files.writeString(file, "jllm-shard-origin 1\ninput x\n");
        assertThrows(FormatException.class, () -> ShardOrigin.read(file));
    }
}
