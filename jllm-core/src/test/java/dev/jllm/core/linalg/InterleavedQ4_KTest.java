package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The interleaved Q4_K copy: its integer single-token kernel against its scalar twin (bit for bit) and against the
 * file's weights, dequantized by the scalar reference kernel, times the same int8 activations in double; the largest
 * scales, mins and products; and products of many tokens against the packed GEMM on the file.
 */
class InterleavedQ4_KTest {
    @Test
    void quantizedSingleTokenEqualsItsTwinAndTheDequantizedFileInDouble() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            for (int[] shape : new int[][] {{16, 256}, {48, 512}, {80, 1280}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q4_K, shape[0], shape[1], rnd.nextLong());
                InterleavedQ4_K q = InterleavedQ4_K.of(w, three, false);
                float[] x = TestKernels.gaussian(rnd, 3 + shape[1]);
                float[] twin = new float[2 + shape[0]];
                q.referenceQuantized(x, 3, twin, 2);
                assertCloseToTheFile(w, x, 3, twin, 2);
                for (WorkerPool pool : new WorkerPool[] {one, three}) {
                    float[] got = new float[twin.length];
                    q.multiplyQuantized(pool, x, 3, got, 2);
                    for (int i = 2; i < got.length; i++) {
                        assertEquals(twin[i], got[i], 0f, w + " threads=" + pool.threads() + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void quantizedSingleTokenSurvivesTheLargestScalesMinsAndProducts() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        // every scale and min 63, codes 15 or 0, activations quantized to ±127: the kernel's widest sums
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            int rows = 48;
            int cols = 512;
            Tensor w = Tensor.allocate(arena, DType.Q4_K, rows, cols);
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < cols / 256; b++) {
                    long o = r * w.rowBytes() + b * 144L;
                    w.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.01f));
                    w.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2, Float.floatToFloat16(0.002f));
                    for (int k = 0; k < 12; k++) {
                        w.data().set(ValueLayout.JAVA_BYTE, o + 4 + k, (byte) 0xFF);
                    }
                    for (int k = 0; k < 128; k++) {
                        byte v = (byte) (r % 3 == 0 ? 0xFF : r % 3 == 1 ? 0x00 : 0x0F);
                        w.data().set(ValueLayout.JAVA_BYTE, o + 16 + k, v);
                    }
                }
            }
            float[] x = new float[cols];
            for (int c = 0; c < cols; c++) {
                x[c] = (c / 32) % 2 == 0 ? 3f : -3f;
            }
            InterleavedQ4_K q = InterleavedQ4_K.of(w, pool, false);
            float[] got = new float[rows];
            q.multiplyQuantized(pool, x, 0, got, 0);
            assertCloseToTheFile(w, x, 0, got, 0);
        }
    }

    @Test
    void manyTokensRunThePackedGemmOnTheSameValuesAsTheFile() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(29);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int[] shape : new int[][] {{48, 256}, {64, 1536}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q4_K, shape[0], shape[1], rnd.nextLong());
                InterleavedQ4_K q = InterleavedQ4_K.of(w, pool, false);
                for (int n : new int[] {2, 7, 40}) {
                    float[] x = TestKernels.gaussian(rnd, 1 + n * shape[1]);
                    float[] want = new float[n * shape[0]];
                    MatMul.multiplyPacked(pool, WeightKernels.simd(DType.Q4_K), w, x, 1, n, want, 0);
                    float[] got = new float[want.length];
                    q.multiply(pool, x, 1, n, got, 0);
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], got[i], 0f, w + " n=" + n + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void shapesItCannotTakeAreRefusedByName() {
        try (Arena arena = Arena.ofShared()) {
            Tensor odd = RandomWeights.gaussian(arena, DType.Q4_K, 17, 256, 1);
            assertFalse(InterleavedQ4_K.supports(odd));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> InterleavedQ4_K.of(odd, null, false));
            assertTrue(e.getMessage().contains("Q4_K"), e.getMessage());
            assertFalse(InterleavedQ4_K.supports(RandomWeights.gaussian(arena, DType.Q4_0, 16, 256, 1)));
        }
    }

    /**
     * Each row of y against the file's weights dequantized by the scalar reference, times x quantized to int8 per 32
     * (as the kernel quantizes it), summed in double: only float rounding may separate them.
     */
    private static void assertCloseToTheFile(Tensor w, float[] x, int xOffset, float[] y, int yOffset) {
        int rows = Math.toIntExact(w.rows());
        int cols = Math.toIntExact(w.cols());
        QuantizedActivations qx = new QuantizedActivations(DType.Q8_0, cols).quantize(x, xOffset, cols);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            WeightKernels.reference(DType.Q4_K).dequantize(w.data(), r * w.rowBytes(), row, 0, cols);
            double want = 0;
            double magnitude = 0;
            for (int c = 0; c < cols; c++) {
                double term = (double) row[c] * qx.qs[c] * qx.scales[c / 32];
                want += term;
                magnitude += Math.abs(term);
            }
            assertEquals(want, y[yOffset + r], 1e-5 * magnitude + 1e-6, w + " row " + r);
        }
    }
}
