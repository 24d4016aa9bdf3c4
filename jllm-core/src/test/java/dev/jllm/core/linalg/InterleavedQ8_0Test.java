package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The interleaved Q8_0 product against the plain dequantize-and-dot reference of {@link MatMul#reference}, and its
 * SIMD kernels against its scalar twin: every token count up to 19 (the 8-, 4- and 1-token kernels and their
 * mixes), one and three threads.
 */
class InterleavedQ8_0Test {
    @Test
    void productsEqualTheReference() {
        assumeTrue(InterleavedMatrix.runsOnThisMachine(), "no interleaved kernels for this vector width");
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            for (int[] shape : new int[][] {{16, 32}, {48, 96}, {64, 288}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q8_0, shape[0], shape[1], rnd.nextLong());
                for (InterleavedMatrix copy : InterleavedWidths.copies(w, null)) {
                InterleavedQ8_0 q = (InterleavedQ8_0) copy;
                for (int n = 1; n <= 19; n++) {
                    float[] x = TestKernels.gaussian(rnd, 3 + n * shape[1]);
                    float[] want = new float[2 + n * shape[0]];
                    MatMul.reference(WeightKernels.simd(DType.Q8_0), w, x, 3, n, want, 2);
                    float[] twin = new float[want.length];
                    q.reference(x, 3, n, twin, 2);
                    for (WorkerPool pool : new WorkerPool[] {one, three}) {
                        float[] got = new float[want.length];
                        q.multiply(pool, x, 3, n, got, 2);
                        float tol = 1e-4f * (float) Math.sqrt(shape[1]);
                        for (int i = 2; i < want.length; i++) {
                            assertEquals(want[i], got[i], tol * Math.max(1f, Math.abs(want[i])),
                                    w + " n=" + n + " threads=" + pool.threads() + " at " + i);
                            assertEquals(twin[i], got[i], tol * Math.max(1f, Math.abs(twin[i])), "scalar twin at " + i);
                        }
                    }
                }
                }
            }
        }
    }

    @Test
    void manyTokensRunThePackedGemmOnTheSameValuesAsTheFile() {
        assumeTrue(InterleavedMatrix.runsOnThisMachine(), "no interleaved kernels for this vector width");
        Random rnd = new Random(21);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int[] shape : new int[][] {{48, 96}, {64, 544}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q8_0, shape[0], shape[1], rnd.nextLong());
                for (InterleavedMatrix q : InterleavedWidths.copies(w, pool)) {
                // few tokens run the packed GEMM only at half width; at full width they have their own kernels
                int[] counts = q.wide ? new int[] {InterleavedQ8_0.FEW_TOKENS + 1, 70}
                        : new int[] {1, 5, InterleavedQ8_0.FEW_TOKENS + 1, 70};
                for (int n : counts) {
                    float[] x = TestKernels.gaussian(rnd, 1 + n * shape[1]);
                    float[] want = new float[n * shape[0]];
                    MatMul.multiplyPacked(pool, WeightKernels.simd(DType.Q8_0), w, x, 1, n, want, 0);
                    float[] got = new float[want.length];
                    q.multiply(pool, x, 1, n, got, 0);
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], got[i], 0f, w + InterleavedWidths.name(q) + " n=" + n + " at " + i);
                    }
                }
                }
            }
        }
    }

    @Test
    void quantizedSingleTokenEqualsItsTwinAndGgmlsQuantizedDot() {
        assumeTrue(InterleavedMatrix.runsOnThisMachine(), "no interleaved kernels for this vector width");
        Random rnd = new Random(9);
        WeightKernel scalar = WeightKernels.reference(DType.Q8_0);
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            for (int[] shape : new int[][] {{16, 32}, {48, 96}, {64, 288}, {112, 1024}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q8_0, shape[0], shape[1], rnd.nextLong());
                for (InterleavedMatrix q : InterleavedWidths.copies(w, null)) {
                float[] x = TestKernels.gaussian(rnd, 3 + shape[1]);
                QuantizedActivations qx = new QuantizedActivations(DType.Q8_0, shape[1]).quantize(x, 3, shape[1]);
                float[] twin = new float[2 + shape[0]];
                q.referenceQuantized(x, 3, twin, 2);
                for (int r = 0; r < shape[0]; r++) {
                    float want = scalar.dotQuantized(w.data(), r * w.rowBytes(), qx, 0, shape[1]);
                    assertEquals(want, twin[2 + r], 1e-5f * Math.max(1f, Math.abs(want)), w + " row " + r);
                }
                for (WorkerPool pool : new WorkerPool[] {one, three}) {
                    float[] got = new float[twin.length];
                    q.multiplyQuantized(pool, x, 3, got, 2);
                    for (int i = 2; i < got.length; i++) {
                        assertEquals(twin[i], got[i], 0f, w + InterleavedWidths.name(q) + " threads=" + pool.threads()
                                + " at " + i);
                    }
                }
                }
            }
        }
    }

    @Test
    void quantizedSingleTokenSurvivesTheLargestCodes() {
        assumeTrue(InterleavedMatrix.runsOnThisMachine(), "no interleaved kernels for this vector width");
        // codes of -128 and 127 against activations quantized to ±127: the largest products the 16-bit lanes hold
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            int rows = 48;
            int cols = 128;
            Tensor w = Tensor.allocate(arena, DType.Q8_0, rows, cols);
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < cols / 32; b++) {
                    long o = r * w.rowBytes() + b * 34L;
                    w.data().set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.5f));
                    for (int c = 0; c < 32; c++) {
                        w.data().set(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 2 + c, (byte) (r % 3 == 0 ? -128
                                : r % 3 == 1 ? 127 : (c % 2 == 0 ? -128 : 127)));
                    }
                }
            }
            float[] x = new float[cols];
            for (int c = 0; c < cols; c++) {
                x[c] = (c / 32) % 2 == 0 ? 2f : -2f;
            }
            for (InterleavedMatrix q : InterleavedWidths.copies(w, null)) {
                float[] got = new float[rows];
                q.multiplyQuantized(pool, x, 0, got, 0);
                QuantizedActivations qx = new QuantizedActivations(DType.Q8_0, cols).quantize(x, 0, cols);
                for (int r = 0; r < rows; r++) {
                    float want = WeightKernels.reference(DType.Q8_0).dotQuantized(w.data(), r * w.rowBytes(), qx, 0,
                            cols);
                    assertEquals(want, got[r], 1e-6f * Math.abs(want) + 1e-6f, InterleavedWidths.name(q) + " row " + r);
                }
                assertEquals(0f, got[0], 0f, "blocks of opposite sign cancel");
            }
        }
    }

    @Test
    void quantizedProductsOfSeveralMatricesEqualEachAlone() {
        assumeTrue(InterleavedMatrix.runsOnThisMachine(), "no interleaved kernels for this vector width");
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            InterleavedQ8_0[] ms = {
                InterleavedQ8_0.of(RandomWeights.gaussian(arena, DType.Q8_0, 80, 256, 1)),
                InterleavedQ8_0.of(RandomWeights.gaussian(arena, DType.Q8_0, 16, 256, 2)),
                InterleavedQ8_0.of(RandomWeights.gaussian(arena, DType.Q8_0, 32, 256, 3))};
            float[] x = TestKernels.gaussian(rnd, 256);
            float[][] ys = {new float[81], new float[16], new float[32]};
            InterleavedQ8_0.multiplyQuantized(pool, ms, x, 0, ys, new int[] {1, 0, 0});
            for (int i = 0; i < ms.length; i++) {
                float[] alone = new float[ys[i].length];
                ms[i].multiplyQuantized(pool, x, 0, alone, i == 0 ? 1 : 0);
                for (int j = 0; j < alone.length; j++) {
                    assertEquals(alone[j], ys[i][j], 0f, "matrix " + i + " at " + j);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> InterleavedQ8_0.multiplyQuantized(pool,
                    new InterleavedQ8_0[] {ms[0], InterleavedQ8_0.of(RandomWeights.gaussian(arena, DType.Q8_0, 16, 32, 4))},
                    x, 0, new float[][] {new float[80], new float[16]}, new int[2]));
        }
    }

    @Test
    void shapesItCannotTakeAreRefusedByName() {
        try (Arena arena = Arena.ofShared()) {
            Tensor odd = RandomWeights.gaussian(arena, DType.Q8_0, 17, 32, 1);
            assertFalse(InterleavedQ8_0.supports(odd));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InterleavedQ8_0.of(odd));
            assertTrue(e.getMessage().contains("[17, 32]"), e.getMessage());
            assertFalse(InterleavedQ8_0.supports(RandomWeights.gaussian(arena, DType.F32, 16, 32, 1)));
        }
    }
}
