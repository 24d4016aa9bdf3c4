package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MatVecTest {
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

    private static void compare(WorkerPool pool, WeightKernel kernel, Tensor w, Random rnd) {
        int rows = (int) w.rows();
        int cols = (int) w.cols();
        float[] x = TestKernels.gaussian(rnd, cols + 5);
        float[] y = new float[rows + 3];
        float[] expected = new float[rows + 3];
        y[0] = expected[0] = 42f;
        y[rows + 2] = expected[rows + 2] = -7f;
        MatVec.reference(kernel, w, x, 3, expected, 1);
        MatVec.multiply(pool, kernel, w, x, 3, y, 1);
        for (int i = 0; i < y.length; i++) {
            assertEquals(expected[i], y[i], 1e-5f * Math.max(1f, Math.abs(expected[i])),
                    w + " threads=" + pool.threads() + " row " + i);
        }
    }

    @Test
    void floatWeightsMatchReferenceOnOddShapes() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared()) {
            for (WorkerPool pool : new WorkerPool[] {one, three}) {
                for (int rows : new int[] {1, 3, 17, 33}) {
                    for (int cols : new int[] {1, 7, 65}) {
                        compare(pool, TestKernels.FLOAT, TestKernels.randomF32(arena, rnd, rows, cols), rnd);
                    }
                }
            }
        }
    }

    @Test
    void quantizedActivationPathMatchesReference() {
        Random rnd = new Random(4);
        try (Arena arena = Arena.ofShared()) {
            for (WorkerPool pool : new WorkerPool[] {one, three}) {
                for (int rows : new int[] {1, 3, 17, 33}) {
                    for (int cols : new int[] {32, 96, 2080}) {
                        compare(pool, TestKernels.TOY_Q8, TestKernels.randomQ8(arena, rnd, rows, cols), rnd);
                    }
                }
            }
        }
    }

    @Test
    void quantizedActivationsStayCloseToFloatProduct() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            Tensor w = TestKernels.randomQ8(arena, rnd, 17, 256);
            float[] x = TestKernels.gaussian(rnd, 256);
            float[] y = new float[17];
            MatVec.multiply(three, TestKernels.TOY_Q8, w, x, 0, y, 0);
            float[] row = new float[256];
            for (int r = 0; r < 17; r++) {
                TestKernels.TOY_Q8.dequantize(w.data(), r * w.rowBytes(), row, 0, 256);
                double exact = 0;
                double scale = 0;
                for (int c = 0; c < 256; c++) {
                    exact += row[c] * x[c];
                    scale += Math.abs(row[c] * x[c]);
                }
                assertEquals(exact, y[r], 0.02 * scale, "row " + r);
            }
        }
    }

    @Test
    void severalMatricesShareOneActivation() {
        Random rnd = new Random(6);
        try (Arena arena = Arena.ofShared()) {
            Tensor[] ws = {
                TestKernels.randomQ8(arena, rnd, 17, 64),
                TestKernels.randomF32(arena, rnd, 3, 64),
                TestKernels.randomQ8(arena, rnd, 33, 64)
            };
            WeightKernel[] kernels = {TestKernels.TOY_Q8, TestKernels.FLOAT, TestKernels.TOY_Q8};
            float[] x = TestKernels.gaussian(rnd, 64);
            for (WorkerPool pool : new WorkerPool[] {one, three}) {
                float[][] ys = {new float[17], new float[3], new float[33]};
                MatVec.multiply(pool, kernels, ws, x, ys);
                for (int i = 0; i < ws.length; i++) {
                    float[] expected = new float[ys[i].length];
                    MatVec.reference(kernels[i], ws[i], x, 0, expected, 0);
                    for (int r = 0; r < expected.length; r++) {
                        assertEquals(expected[r], ys[i][r], 1e-5f * Math.max(1f, Math.abs(expected[r])));
                    }
                }
            }
        }
    }

    @Test
    void rowGroupsCoverWholeCacheLines() {
        assertEquals(1, MatVec.alignedRowGroup(16384));
        assertEquals(16, MatVec.alignedRowGroup(4));
        assertEquals(32, MatVec.alignedRowGroup(34));
        assertEquals(64, MatVec.alignedRowGroup(7));
    }

    @Test
    void shapeErrorsNameBothShapes() {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = TestKernels.randomF32(arena, new Random(7), 4, 8);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MatVec.multiply(one, TestKernels.FLOAT, w, new float[7], 0, new float[4], 0));
            assertTrue(e.getMessage().contains("F32[4, 8]") && e.getMessage().contains("[7]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> MatVec.multiply(one, TestKernels.FLOAT, w, new float[8], 0, new float[4], 1));
            assertTrue(e.getMessage().contains("F32[4, 8]") && e.getMessage().contains("[3]"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> MatVec.multiply(one, TestKernels.TOY_Q8, w, new float[8], 0, new float[4], 0));
        }
    }
}
