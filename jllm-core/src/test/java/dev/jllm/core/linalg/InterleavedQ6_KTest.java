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
 * The interleaved Q6_K copy: its integer single-token kernel against its scalar twin (bit for bit) and against the
 * file's weights, dequantized by the scalar reference kernel, times the same int8 activations in double; the largest
 * codes, scales and products; and products of many tokens against the packed GEMM on the file.
 */
class InterleavedQ6_KTest {
    @Test
    void quantizedSingleTokenEqualsItsTwinAndTheDequantizedFileInDouble() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(17);
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            for (int[] shape : new int[][] {{16, 256}, {48, 512}, {80, 1280}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q6_K, shape[0], shape[1], rnd.nextLong());
                InterleavedQ6_K q = InterleavedQ6_K.of(w, three, false);
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
    void quantizedSingleTokenSurvivesTheLargestCodesScalesAndProducts() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        // codes 63 or 0 (31 and −32 after the offset), scales 127 or −128, activations quantized to ±127: eight
        // products of 32·127 in a 16-bit lane, and unsigned sums that wrap before the offset comes off
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            int rows = 48;
            int cols = 512;
            Tensor w = Tensor.allocate(arena, DType.Q6_K, rows, cols);
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < cols / 256; b++) {
                    long o = r * w.rowBytes() + b * 210L;
                    for (int k = 0; k < 192; k++) {
                        w.data().set(ValueLayout.JAVA_BYTE, o + k, (byte) (r % 3 == 0 ? 0xFF : r % 3 == 1 ? 0 : 0x0F));
                    }
                    for (int k = 0; k < 16; k++) {
                        w.data().set(ValueLayout.JAVA_BYTE, o + 192 + k, (byte) ((r + k) % 2 == 0 ? 127 : -128));
                    }
                    w.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 208, Float.floatToFloat16(0.001f));
                }
            }
            float[] x = new float[cols];
            for (int c = 0; c < cols; c++) {
                x[c] = (c / 32) % 2 == 0 ? 3f : -3f;
            }
            InterleavedQ6_K q = InterleavedQ6_K.of(w, pool, false);
            float[] got = new float[rows];
            q.multiplyQuantized(pool, x, 0, got, 0);
            assertCloseToTheFile(w, x, 0, got, 0);
        }
    }

    @Test
    void manyTokensRunThePackedGemmOnTheSameValuesAsTheFile() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(31);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int[] shape : new int[][] {{48, 256}, {64, 1536}, {128, 256}, {256, 512}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q6_K, shape[0], shape[1], rnd.nextLong());
                // copied on this thread: every group through the same staging buffer
                InterleavedQ6_K q = InterleavedQ6_K.of(w, null, false);
                for (int n : new int[] {1, 2, 5, 7, 40}) {
                    float[] x = TestKernels.gaussian(rnd, 1 + n * shape[1]);
                    float[] want = new float[n * shape[0]];
                    MatMul.multiplyPacked(pool, WeightKernels.simd(DType.Q6_K), w, x, 1, n, want, 0);
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
            Tensor odd = RandomWeights.gaussian(arena, DType.Q6_K, 17, 256, 1);
            assertFalse(InterleavedQ6_K.supports(odd));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> InterleavedQ6_K.of(odd, null, false));
            assertTrue(e.getMessage().contains("Q6_K"), e.getMessage());
            assertFalse(InterleavedQ6_K.supports(RandomWeights.gaussian(arena, DType.Q4_K, 16, 256, 1)));
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
            WeightKernels.reference(DType.Q6_K).dequantize(w.data(), r * w.rowBytes(), row, 0, cols);
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
