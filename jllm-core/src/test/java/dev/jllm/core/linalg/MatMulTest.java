package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MatMulTest {
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

    private static void compare(WorkerPool pool, WeightKernel kernel, Tensor w, int n, Random rnd) {
        int rows = (int) w.rows();
        int cols = (int) w.cols();
        float[] x = TestKernels.gaussian(rnd, 2 + n * cols);
        float[] y = new float[n * rows + 4];
        Arrays.fill(y, Float.NaN); // Y is overwritten, never read
        float[] expected = new float[n * rows + 4];
        y[0] = expected[0] = 5f;
        y[n * rows + 3] = expected[n * rows + 3] = 6f;
        MatMul.reference(kernel, w, x, 2, n, expected, 1);
        MatMul.multiply(pool, kernel, w, x, 2, n, y, 1);
        // Reference and blocked sum in different orders: allow float rounding growing with √cols.
        float tol = 2e-6f * (float) Math.sqrt(cols) * 4;
        for (int i = 0; i < n * rows + 2; i++) {
            if (i == n * rows + 1) {
                i = n * rows + 3;
            }
            assertEquals(expected[i], y[i], tol * Math.max(1f, Math.abs(expected[i])),
                    w + " n=" + n + " threads=" + pool.threads() + " at " + i);
        }
    }

    @Test
    void floatWeightsMatchReference() {
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofShared()) {
            for (WorkerPool pool : new WorkerPool[] {one, three}) {
                for (int rows : new int[] {1, 3, 17, 33}) {
                    for (int cols : new int[] {1, 7, 64, 65}) {
                        // up to 32 tokens take the few-token path (64 columns: its folded lane sums), more the packed GEMM
                        for (int n : new int[] {1, 5, 13, 16, 17, 29, 32, 33}) {
                            compare(pool, TestKernels.FLOAT, TestKernels.randomF32(arena, rnd, rows, cols), n, rnd);
                        }
                    }
                }
            }
        }
    }

    @Test
    void quantizedWeightsAreDequantizedPanelByPanel() {
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofShared()) {
            for (WorkerPool pool : new WorkerPool[] {one, three}) {
                // 576 columns cross the KC=256 panel boundary twice; 70 rows leave a partial sliver.
                compare(pool, TestKernels.TOY_Q8, TestKernels.randomQ8(arena, rnd, 70, 576), 7, rnd);
                compare(pool, TestKernels.TOY_Q8, TestKernels.randomQ8(arena, rnd, 70, 576), 21, rnd);
                compare(pool, TestKernels.TOY_Q8, TestKernels.randomQ8(arena, rnd, 33, 32), 1, rnd);
            }
        }
    }

    @Test
    void manyTokensCrossTheTokenBlock() {
        Random rnd = new Random(10);
        try (Arena arena = Arena.ofShared()) {
            compare(three, TestKernels.FLOAT, TestKernels.randomF32(arena, rnd, 35, 40),
                    MatMul.TOKENS_PER_BLOCK + 9, rnd);
        }
    }

    @Test
    void zeroTokensIsANoOp() {
        try (Arena arena = Arena.ofShared()) {
            MatMul.multiply(three, TestKernels.FLOAT, TestKernels.randomF32(arena, new Random(1), 3, 4),
                    new float[0], 0, 0, new float[0], 0);
        }
    }

    @Test
    void shapeErrorsNameBothShapes() {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = TestKernels.randomF32(arena, new Random(11), 4, 8);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MatMul.multiply(one, TestKernels.FLOAT, w, new float[15], 0, 2, new float[8], 0));
            assertTrue(e.getMessage().contains("F32[4, 8]") && e.getMessage().contains("[2, 8]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> MatMul.multiply(one, TestKernels.FLOAT, w, new float[16], 0, 2, new float[7], 0));
            assertTrue(e.getMessage().contains("F32[4, 8]") && e.getMessage().contains("[2, 4]"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> MatMul.multiply(one, TestKernels.FLOAT, w, new float[16], 0, -1, new float[8], 0));
        }
    }
}
