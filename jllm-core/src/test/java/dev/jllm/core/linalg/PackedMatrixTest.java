package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PackedMatrixTest {
    private static WorkerPool one;
    private static WorkerPool three;

    @BeforeAll
    static void pools() {
        one = new WorkerPool(1);
        three = new WorkerPool(3);
    }

    @AfterAll
    static void close() {
        one.close();
        three.close();
    }

    /** Squares and adds one: wrong if an epilogue is skipped or applied twice. */
    private static final PackedMatrix.Epilogue SQUARE_PLUS_ONE = (y, from, length) -> {
        for (int i = from; i < from + length; i++) {
            y[i] = y[i] * y[i] + 1;
        }
    };

    /**
     * Packs {@code weights} (each rows × cols, stacked) and compares the product over n tokens, at offsets,
     * with plain float loops over the original values; the floats around Y must stay as they were.
     */
    private static void compare(WorkerPool pool, float[][] weights, int[] rowCounts, int cols, int n, boolean bias,
            boolean epilogue, int blockTokens, Random rnd) {
        Tensor[] parts = new Tensor[weights.length];
        int rows = 0;
        for (int i = 0; i < weights.length; i++) {
            parts[i] = Tensor.ofFloats(weights[i], rowCounts[i], cols);
            rows += rowCounts[i];
        }
        float[] stacked = new float[rows * cols];
        int at = 0;
        for (float[] w : weights) {
            System.arraycopy(w, 0, stacked, at, w.length);
            at += w.length;
        }
        PackedMatrix m = PackedMatrix.pack(parts);
        assertEquals(rows, m.rows());
        assertEquals(cols, m.cols());
        float[] b = bias ? TestKernels.gaussian(rnd, rows) : null;
        float[] x = TestKernels.gaussian(rnd, 3 + n * cols);
        float[] expected = new float[2 + n * rows + 2];
        float[] y = new float[expected.length];
        Arrays.fill(y, Float.NaN); // Y is overwritten, never read
        y[0] = expected[0] = 5f;
        y[1] = expected[1] = 6f;
        y[y.length - 2] = expected[y.length - 2] = 7f;
        y[y.length - 1] = expected[y.length - 1] = 8f;
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                float sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += x[3 + t * cols + c] * stacked[r * cols + c];
                }
                if (b != null) {
                    sum += b[r];
                }
                expected[2 + t * rows + r] = epilogue ? sum * sum + 1 : sum;
            }
        }
        m.multiply(pool, x, 3, n, y, 2, b, epilogue ? SQUARE_PLUS_ONE : null, blockTokens);
        float tol = 2e-6f * (float) Math.sqrt(cols) * 4;
        for (int i = 0; i < y.length; i++) {
            float e = expected[i];
            // the epilogue squares the sum, doubling its relative rounding
            float scale = epilogue ? 3 * Math.max(1f, Math.abs(e)) : Math.max(1f, Math.abs(e));
            assertEquals(e, y[i], tol * scale, "rows=" + Arrays.toString(rowCounts) + " cols=" + cols + " n=" + n
                    + " bias=" + bias + " epilogue=" + epilogue + " threads=" + pool.threads() + " block="
                    + blockTokens + " at " + i);
        }
    }

    private static void compareOne(WorkerPool pool, int rows, int cols, int n, boolean bias, boolean epilogue,
            int blockTokens, Random rnd) {
        compare(pool, new float[][] {TestKernels.gaussian(rnd, rows * cols)}, new int[] {rows}, cols, n, bias,
                epilogue, blockTokens, rnd);
    }

    @Test
    void matchesPlainLoopsForOddShapesAndEveryTokenTail() {
        Random rnd = new Random(21);
        int nr = PackedMatrix.NR;
        for (WorkerPool pool : new WorkerPool[] {one, three}) {
            // partial slivers (nr ± 1, 70), a single row, and widths that are not multiples of a vector
            for (int rows : new int[] {1, nr - 1, nr, nr + 1, 70}) {
                for (int cols : new int[] {1, 7, 33, 129}) {
                    // every count of tokens left for the last kernel call, and several calls
                    for (int n = 1; n <= 2 * PackedMatrix.MR + 1; n++) {
                        compareOne(pool, rows, cols, n, n % 2 == 0, n % 3 == 0, PackedMatrix.tokensPerBlock(cols),
                                rnd);
                    }
                }
            }
        }
    }

    @Test
    void biasAndEpilogueApplyOncePerOutput() {
        Random rnd = new Random(22);
        for (boolean bias : new boolean[] {false, true}) {
            for (boolean epilogue : new boolean[] {false, true}) {
                compareOne(three, 70, 40, 11, bias, epilogue, PackedMatrix.tokensPerBlock(40), rnd);
                compareOne(one, PackedMatrix.NR, 24, 5, bias, epilogue, PackedMatrix.tokensPerBlock(24), rnd);
            }
        }
    }

    @Test
    void sharesRunInOneRegionGiveTheDispatchedProductExactly() {
        Random rnd = new Random(24);
        int cols = 37;
        PackedMatrix m = PackedMatrix.pack(Tensor.ofFloats(TestKernels.gaussian(rnd, 70 * cols), 70, cols));
        for (int n : new int[] {1, 4, 13}) {
            float[] x = TestKernels.gaussian(rnd, 2 * n * cols);
            float[] bias = TestKernels.gaussian(rnd, 70);
            float[] want = new float[n * 70];
            m.multiply(three, x, n * cols, n, want, 0, bias, SQUARE_PLUS_ONE);
            float[] a = new float[m.activationFloats(n)];
            Arrays.fill(a, Float.NaN); // padding rows left unwritten would poison every output
            float[] got = new float[n * 70 + 3];
            AtomicInteger claimed = new AtomicInteger();
            AtomicInteger packers = new AtomicInteger();
            three.run((w, workers) -> {
                m.packActivations(x, n * cols, n, a, w, workers);
                packers.incrementAndGet();
                while (packers.get() < workers) {
                    Thread.onSpinWait();
                }
                m.multiplyShare(a, n, got, 3, bias, SQUARE_PLUS_ONE, claimed);
            });
            assertArrayEquals(want, Arrays.copyOfRange(got, 3, got.length), "n = " + n);
        }
        assertThrows(IllegalArgumentException.class,
                () -> m.multiplyShare(new float[m.activationFloats(7) - 1], 7, new float[7 * 70], 0, null, null,
                        new AtomicInteger()));
    }

    @Test
    void tokenBlocksSplitLongInputs() {
        Random rnd = new Random(23);
        int mr = PackedMatrix.MR;
        // blocks of one and two kernel calls, crossed by counts that leave tails in the last block
        for (int block : new int[] {mr, 2 * mr}) {
            for (int n : new int[] {block + 1, 3 * block - 1, 3 * block + 5}) {
                compareOne(three, 45, 19, n, true, true, block, rnd);
            }
        }
        assertTrue(PackedMatrix.tokensPerBlock(384) % mr == 0 && PackedMatrix.tokensPerBlock(1 << 30) == mr);
    }

    @Test
    void stackedMatricesGiveTheirProductsSideBySide() {
        Random rnd = new Random(24);
        int cols = 37;
        int[] rowCounts = {5, 40, 3};
        float[][] w = new float[rowCounts.length][];
        for (int i = 0; i < w.length; i++) {
            w[i] = TestKernels.gaussian(rnd, rowCounts[i] * cols);
        }
        for (int n : new int[] {1, 7, 12}) {
            compare(three, w, rowCounts, cols, n, true, false, PackedMatrix.tokensPerBlock(cols), rnd);
        }
    }

    @Test
    void quantizedWeightsArePackedAsTheirDequantizedValues() {
        Random rnd = new Random(25);
        try (Arena arena = Arena.ofShared()) {
            Tensor q = TestKernels.randomQ8(arena, rnd, 35, 64);
            float[] values = new float[35 * 64];
            for (int r = 0; r < 35; r++) {
                TestKernels.TOY_Q8.dequantize(q.data(), r * q.rowBytes(), values, r * 64, 64);
            }
            PackedMatrix m = PackedMatrix.pack(q);
            float[] x = TestKernels.gaussian(rnd, 3 * 64);
            float[] y = new float[3 * 35];
            m.multiply(one, x, 0, 3, y, 0, null, null);
            for (int t = 0; t < 3; t++) {
                for (int r = 0; r < 35; r++) {
                    float sum = 0;
                    for (int c = 0; c < 64; c++) {
                        sum += x[t * 64 + c] * values[r * 64 + c];
                    }
                    assertEquals(sum, y[t * 35 + r], 1e-4f * Math.max(1f, Math.abs(sum)), "t=" + t + " r=" + r);
                }
            }
        }
    }

    @Test
    void zeroTokensIsANoOp() {
        PackedMatrix m = PackedMatrix.pack(Tensor.ofFloats(new float[12], 3, 4));
        m.multiply(three, new float[0], 0, 0, new float[0], 0, null, null);
    }

    @Test
    void badShapesAreRefusedNamingTheSizes() {
        Tensor w = Tensor.ofFloats(new float[32], 4, 8);
        PackedMatrix m = PackedMatrix.pack(w);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.multiply(one, new float[15], 0, 2, new float[8], 0, null, null));
        assertTrue(e.getMessage().contains("[2, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> m.multiply(one, new float[16], 0, 2, new float[7], 0, null, null));
        assertTrue(e.getMessage().contains("[2, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> m.multiply(one, new float[16], 0, 2, new float[8], 0, new float[3], null));
        assertTrue(e.getMessage().contains("4 rows"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> m.multiply(one, new float[16], 0, -1, new float[8], 0, null, null));
        e = assertThrows(IllegalArgumentException.class,
                () -> PackedMatrix.pack(w, Tensor.ofFloats(new float[9], 1, 9)));
        assertTrue(e.getMessage().contains("8 columns"), e.getMessage());
        assertThrows(IllegalArgumentException.class, PackedMatrix::pack);
    }
}
