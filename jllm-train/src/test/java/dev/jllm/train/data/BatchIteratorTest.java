package dev.jllm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batches: shifted targets, determinism, exact resume, and every window once per epoch. */
class BatchIteratorTest {
    @TempDir
    Path dir;

    /** A shard whose token i is i, so each batch tells which positions it was cut from. */
    private TokenShard positions(int n) throws Exception {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = i;
        }
        Path f = dir.resolve("pos" + n + ".bin");
        TokenShard.write(f, t, n, n, -1);
        return TokenShard.open(f);
    }

    @Test
    void targetsAreInputsShiftedAndRowsAreWindows() throws Exception {
        try (TokenShard s = positions(1001)) {
            BatchIterator it = new BatchIterator(s, 4, 10, 5, true);
            int[] in = new int[40];
            int[] out = new int[40];
            for (int step = 0; step < 30; step++) {
                it.next(in, out);
                for (int b = 0; b < 4; b++) {
                    assertEquals(0, in[b * 10] % 10, "rows start at multiples of T");
                    for (int j = 0; j < 10; j++) {
                        assertEquals(in[b * 10] + j, in[b * 10 + j]);
                        assertEquals(in[b * 10 + j] + 1, out[b * 10 + j]);
                    }
                }
            }
        }
    }

    @Test
    void everyInputTokenOncePerEpoch() throws Exception {
        for (boolean shuffle : new boolean[] {false, true}) {
            try (TokenShard s = positions(12 * 8 + 5)) {
                BatchIterator it = new BatchIterator(s, 3, 8, 11, shuffle);
                assertEquals(12, it.windowsPerEpoch());
                int[] in = new int[24];
                int[] out = new int[24];
                for (int epoch = 0; epoch < 3; epoch++) {
                    int[] seen = new int[(int) s.size()];
                    for (int step = 0; step < 4; step++) {
                        it.next(in, out);
                        for (int t : in) {
                            seen[t]++;
                        }
                    }
                    for (int i = 0; i < 96; i++) {
                        assertEquals(1, seen[i], "position " + i + ", epoch " + epoch + ", shuffle " + shuffle);
                    }
                    assertEquals(0, Arrays.stream(seen, 96, seen.length).sum());
                    assertEquals(epoch + 1, it.epoch());
                }
            }
        }
    }

    private static int[][] run(BatchIterator it, int steps) {
        int[][] batches = new int[steps][];
        int n = it.batchSize() * it.sequenceLength();
        for (int i = 0; i < steps; i++) {
            int[] in = new int[n];
            int[] out = new int[n];
            it.next(in, out);
            batches[i] = in;
        }
        return batches;
    }

    @Test
    void sameSeedSameBatchesAndEpochsDiffer() throws Exception {
        try (TokenShard s = positions(5000)) {
            int[][] a = run(new BatchIterator(s, 4, 16, 99, true), 30);
            int[][] b = run(new BatchIterator(s, 4, 16, 99, true), 30);
            int[][] c = run(new BatchIterator(s, 4, 16, 100, true), 30);
            int[][] plain = run(new BatchIterator(s, 4, 16, 99, false), 30);
            assertTrue(Arrays.deepEquals(a, b));
            assertFalse(Arrays.deepEquals(a, c));
            assertFalse(Arrays.deepEquals(a, plain));
            assertEquals(0, plain[0][0]);
            assertEquals(16 * 4, plain[1][0]);
            // 312 windows: batches 78 and 156 start two different epochs, which must not repeat the same order
            int[][] long1 = run(new BatchIterator(s, 4, 16, 99, true), 160);
            assertFalse(Arrays.equals(long1[0], long1[78]));
        }
    }

    @Test
    void restoredIteratorContinuesIdentically() throws Exception {
        try (TokenShard s = positions(3001)) {
            BatchIterator whole = new BatchIterator(s, 5, 12, 7, true);
            int[][] expected = run(whole, 120); // crosses several epochs (250 windows)
            BatchIterator first = new BatchIterator(s, 5, 12, 7, true);
            run(first, 57);
            long[] saved = first.state().toLongs();
            BatchIterator resumed = new BatchIterator(s, 5, 12, 7, true);
            resumed.restore(BatchIterator.State.fromLongs(saved));
            int[][] rest = run(resumed, 63);
            for (int i = 0; i < 63; i++) {
                assertArrayEquals(expected[57 + i], rest[i], "batch " + (57 + i));
            }
            BatchIterator otherSeed = new BatchIterator(s, 5, 12, 8, true);
            assertThrows(IllegalArgumentException.class, () -> otherSeed.restore(BatchIterator.State.fromLongs(saved)));
        }
    }

    @Test
    void shardTooShortForOneBatchIsAClearError() throws Exception {
        try (TokenShard s = positions(64)) {
            var e = assertThrows(IllegalArgumentException.class, () -> new BatchIterator(s, 2, 32, 1, true));
            assertTrue(e.getMessage().contains(s.file().toString()) && e.getMessage().contains("too few"), e.getMessage());
            new BatchIterator(s, 1, 32, 1, true); // 63/32 = 1 window: one row fits
        }
    }
}
