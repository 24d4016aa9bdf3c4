package dev.jllm.formats.llama2c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.io.SharedFixtures;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cCheckpointTest {
    @TempDir
    Path dir;

    /** Writes a checkpoint whose i-th float (counting from the first weight) is i, so every view's first value tells its offset. */
    private Path write(String name, int[] header, long floats) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) (28 + floats * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int h : header) {
            b.putInt(h);
        }
        for (long i = 0; i < floats; i++) {
            b.putFloat(i);
        }
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    private static float first(Tensor t) {
        return t.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
    }

    // dim 8, hidden 12, 2 layers, 4 heads, 2 kv heads, vocab 10, seq 6: head 2, kv_dim 4
    private static final int[] TINY = {8, 12, 2, 4, 2, 10, 6};

    private static long tinyFloats(boolean shared) {
        long f = 10 * 8 + 2 * 8 + 2 * 64 + 2 * 32 + 2 * 32 + 2 * 64 + 2 * 8 + 3 * 2 * 96 + 8 + 2 * 6 * 1;
        return shared ? f : f + 80;
    }

    @Test
    void readsTinySharedCheckpointWithEveryViewAtItsOffset() throws IOException {
        Path f = write("shared.bin", TINY, tinyFloats(true));
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(f)) {
            assertEquals(new Llama2cConfig(8, 12, 2, 4, 2, 10, 6, true), c.config());
            assertEquals(2, c.config().headSize());
            assertEquals(4, c.config().kvDim());
            assertEquals(DType.F32, c.tokenEmbedding().type());
            assertArrayEquals(new long[] {10, 8}, c.tokenEmbedding().shape());
            assertEquals(0f, first(c.tokenEmbedding()));
            long off = 80;
            assertEquals(off + 8, first(c.attentionNorm(1)));
            off += 16;
            assertEquals(off, first(c.wq(0)));
            assertEquals(off + 64, first(c.wq(1)));
            off += 128;
            assertArrayEquals(new long[] {4, 8}, c.wk(1).shape());
            assertEquals(off + 32, first(c.wk(1)));
            off += 64;
            assertEquals(off, first(c.wv(0)));
            off += 64;
            assertEquals(off + 64, first(c.wo(1)));
            off += 128;
            assertEquals(off + 8, first(c.ffnNorm(1)));
            off += 16;
            assertArrayEquals(new long[] {12, 8}, c.w1(0).shape());
            assertEquals(off + 96, first(c.w1(1)));
            off += 192;
            assertArrayEquals(new long[] {8, 12}, c.w2(0).shape());
            assertEquals(off + 96, first(c.w2(1)));
            off += 192;
            assertEquals(off, first(c.w3(0)));
            off += 192;
            assertEquals(off, first(c.finalNorm()));
            assertEquals(8 * 4L, c.finalNorm().data().byteSize());
            assertEquals(0f, first(c.classifier()));
            assertThrows(IndexOutOfBoundsException.class, () -> c.wq(2));
        }
    }

    @Test
    void readsTinyUnsharedCheckpointWithItsOwnClassifier() throws IOException {
        int[] h = TINY.clone();
        h[5] = -10;
        long floats = tinyFloats(false);
        Path f = write("unshared.bin", h, floats);
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(f)) {
            assertFalse(c.config().sharedClassifier());
            assertEquals(10, c.config().vocabSize());
            assertArrayEquals(new long[] {10, 8}, c.classifier().shape());
            assertEquals(floats - 80, first(c.classifier()));
            assertEquals(Llama2cCheckpoint.fileSize(c.config()), Files.size(f));
        }
    }

    @Test
    void readsStories260K() throws IOException {
        Path f = SharedFixtures.resolve("models/stories260K.bin");
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(f)) {
            assertEquals(new Llama2cConfig(64, 172, 5, 8, 4, 512, 512, true), c.config());
            assertEquals(Files.size(f), Llama2cCheckpoint.fileSize(c.config()));
            assertArrayEquals(new long[] {32, 64}, c.wk(4).shape());
            // trained RMSNorm weights are finite and mostly near one; embeddings are finite and not all zero
            float[] norm = c.finalNorm().data().toArray(ValueLayout.JAVA_FLOAT);
            assertTrue(Arrays.stream(toDoubles(norm)).allMatch(Double::isFinite));
            assertTrue(Arrays.stream(toDoubles(norm)).average().orElseThrow() > 0.1);
            float[] emb = c.tokenEmbedding().row(461).data().toArray(ValueLayout.JAVA_FLOAT);
            assertEquals(64, emb.length);
            assertTrue(Arrays.stream(toDoubles(emb)).anyMatch(x -> x != 0));
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private FormatException refused(int[] header, long floats) throws IOException {
        Path f = write("bad" + System.nanoTime() + ".bin", header, floats);
        return assertThrows(FormatException.class, () -> Llama2cCheckpoint.open(f).close());
    }

    @Test
    void refusesTruncatedAndOverlongFiles() throws IOException {
        assertEquals("file size", refused(TINY, tinyFloats(true) - 1).field());
        assertEquals("file size", refused(TINY, tinyFloats(true) + 1).field());
        int[] h = TINY.clone();
        h[5] = -10;
        assertEquals("file size", refused(h, tinyFloats(true)).field()); // unshared header, classifier missing
        Path tiny = dir.resolve("short.bin");
        Files.write(tiny, new byte[13]);
        assertEquals("header", assertThrows(FormatException.class, () -> Llama2cCheckpoint.open(tiny)).field());
    }

    @Test
    void refusesBadHeaderValuesNamingTheField() throws IOException {
        String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        for (int i = 0; i < 7; i++) {
            int[] h = TINY.clone();
            h[i] = i == 5 ? 0 : -3;
            assertEquals(names[i], refused(h, tinyFloats(true)).field(), "field " + i);
        }
        int[] h = TINY.clone();
        h[3] = 3; // 3 heads do not divide dim 8
        assertEquals("n_heads", refused(h, 10).field());
        h = TINY.clone();
        h[4] = 3; // 3 kv heads do not divide 4 heads
        assertEquals("n_kv_heads", refused(h, 10).field());
        h = TINY.clone();
        h[4] = 8;
        assertEquals("n_kv_heads", refused(h, 10).field());
        h = TINY.clone();
        h[5] = Integer.MIN_VALUE;
        assertEquals("vocab_size", refused(h, 10).field());
        int[] huge = {1 << 30, 1 << 30, 1 << 30, 2, 2, 1 << 30, 1 << 30};
        assertEquals("header", refused(huge, 10).field());
    }

    @Test
    void namesEveryWeightLikeGguf() throws IOException {
        int[] h = TINY.clone();
        h[5] = -10;
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(write("named.bin", h, tinyFloats(false)))) {
            var t = c.tensors();
            assertEquals(1 + 2 * 9 + 2, t.size());
            assertEquals(first(c.w2(1)), first(t.get("blk.1.ffn_down.weight")));
            assertArrayEquals(new long[] {4, 8}, t.get("blk.0.attn_k.weight").shape());
            long params = t.values().stream().mapToLong(Tensor::elements).sum();
            assertEquals(tinyFloats(false) - 12, params); // all but the two unused RoPE tables
        }
    }

    @Test
    void randomHeaderCorruptionGivesFormatExceptionOrAValidCheckpoint() throws IOException {
        Path good = write("good.bin", TINY, tinyFloats(true));
        byte[] bytes = Files.readAllBytes(good);
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int trial = 0; trial < 300; trial++) {
            byte[] b = bytes.clone();
            int flips = 1 + random.nextInt(3);
            for (int i = 0; i < flips; i++) {
                b[random.nextInt(Llama2cCheckpoint.HEADER_BYTES)] = (byte) random.nextInt(256);
            }
            int cut = random.nextInt(4) == 0 ? random.nextInt(b.length) : b.length;
            Path f = dir.resolve("fuzz.bin");
            Files.write(f, java.util.Arrays.copyOf(b, cut));
            try (Llama2cCheckpoint c = Llama2cCheckpoint.open(f)) {
                assertEquals(Files.size(f), Llama2cCheckpoint.fileSize(c.config()));
                c.tensors().values().forEach(x -> first(x));
            } catch (FormatException expected) {
                assertEquals(f, expected.file());
            }
        }
    }
}
