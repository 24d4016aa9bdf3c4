package dev.jllm.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shard files: round trip, the header as specified, and corrupted files failing with a clear error. */
class TokenShardTest {
    @TempDir
    Path dir;

    private static int[] randomTokens(SplittableRandom r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    @Test
    void roundTripsBothWidths() throws Exception {
        SplittableRandom r = new SplittableRandom(1);
        for (int vocab : new int[] {300, 65_536, 65_537, 200_000}) {
            int[] tokens = randomTokens(r, 70_000, vocab);
            tokens[5] = vocab - 1;
            Path f = dir.resolve("s" + vocab + ".bin");
            TokenShard.write(f, tokens, tokens.length - 3, vocab, 0);
            int width = vocab <= 65_536 ? 2 : 4;
            assertEquals(TokenShard.HEADER_BYTES + (long) (tokens.length - 3) * width, Files.size(f));
            try (TokenShard s = TokenShard.open(f)) {
                assertEquals(tokens.length - 3, s.size());
                assertEquals(width, s.bytesPerToken());
                assertEquals(vocab, s.vocabSize());
                assertEquals(0, s.endOfTextId());
                int[] back = new int[(int) s.size()];
                s.read(0, back, 0, back.length);
                for (int i = 0; i < back.length; i++) {
                    assertEquals(tokens[i], back[i], "token " + i);
                }
            }
        }
    }

    @Test
    void headerIsTheDocumentedLittleEndianLayout() throws Exception {
        Path f = dir.resolve("h.bin");
        TokenShard.write(f, new int[] {7, 513}, 2, 1000, 3);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        b.get(magic);
        assertEquals("JLLMTOKS", new String(magic, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(1, b.getInt());
        assertEquals(2, b.getInt());
        assertEquals(2L, b.getLong());
        assertEquals(1000, b.getInt());
        assertEquals(3, b.getInt());
        assertEquals(7, b.getShort());
        assertEquals(513, b.getShort());
    }

    private void assertRejected(Path f, byte[] bytes, String expected) throws Exception {
        Files.write(f, bytes);
        FormatException e = assertThrows(FormatException.class, () -> TokenShard.open(f).close());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void corruptedFilesFailNamingTheFile() throws Exception {
        Path good = dir.resolve("good.bin");
        TokenShard.write(good, randomTokens(new SplittableRandom(2), 100, 500), 100, 500, 1);
        byte[] bytes = Files.readAllBytes(good);
        Path f = dir.resolve("bad.bin");
        for (int len = 0; len < bytes.length; len++) {
            assertRejected(f, java.util.Arrays.copyOf(bytes, len), "truncated");
        }
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 2);
        assertRejected(f, longer, "after the last");
        byte[] magic = bytes.clone();
        magic[0] = 'X';
        assertRejected(f, magic, "magic");
        byte[] version = bytes.clone();
        version[8] = 9;
        assertRejected(f, version, "version");
        byte[] width = bytes.clone();
        width[12] = 3;
        assertRejected(f, width, "bytes_per_token");
        byte[] id = bytes.clone();
        id[TokenShard.HEADER_BYTES + 10] = (byte) 0xFF;
        id[TokenShard.HEADER_BYTES + 11] = (byte) 0xFF;
        assertRejected(f, id, "tokens[5]");
    }

    @Test
    void randomByteFlipsEitherOpenWithValidIdsOrFailCleanly() throws Exception {
        Path good = dir.resolve("good.bin");
        TokenShard.write(good, randomTokens(new SplittableRandom(3), 64, 70_000), 64, 70_000, 2);
        byte[] bytes = Files.readAllBytes(good);
        SplittableRandom r = new SplittableRandom(4);
        Path f = dir.resolve("fuzz.bin");
        for (int trial = 0; trial < 400; trial++) {
            byte[] b = bytes.clone();
            for (int k = 0; k <= r.nextInt(3); k++) {
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
            }
            Files.write(f, b);
            try (TokenShard s = TokenShard.open(f)) {
                for (long i = 0; i < s.size(); i++) {
                    assertTrue(s.get(i) >= 0 && s.get(i) < s.vocabSize());
                }
            } catch (FormatException e) {
                assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            }
        }
    }

    @Test
    void rejectsIdsOutsideTheVocabularyOnWrite() {
        assertThrows(IllegalArgumentException.class, () -> TokenShard.write(dir.resolve("x.bin"), new int[] {5}, 1, 5, -1));
    }
}
