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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The interleaved K-quant copies ({@link InterleavedQ4_K}, {@link InterleavedQ5_K}, {@link InterleavedQ6_K}): the
 * integer single-token kernel against its scalar twin (bit for bit) and against the file's weights, dequantized by the
 * scalar reference kernel, times the same int8 activations in double (GGML's own K-quant dots quantize x per 256, not
 * per 32); the largest codes, scales, mins and products each type's 16-bit lanes meet; and products of many tokens
 * against the packed GEMM on the file.
 */
class InterleavedKQuantTest {
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void quantizedSingleTokenEqualsItsTwinAndTheDequantizedFileInDouble(DType type) {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(type.ordinal());
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            for (int[] shape : new int[][] {{16, 256}, {48, 512}, {80, 1280}}) {
                Tensor w = RandomWeights.gaussian(arena, type, shape[0], shape[1], rnd.nextLong());
                InterleavedMatrix q = InterleavedMatrix.of(w, three, false);
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
    void q4kSurvivesTheLargestScalesMinsAndProducts() {
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
            InterleavedMatrix q = InterleavedMatrix.of(w, pool, false);
            float[] got = new float[rows];
            q.multiplyQuantized(pool, x, 0, got, 0);
            assertCloseToTheFile(w, x, 0, got, 0);
        }
    }

    @Test
    void q5kSurvivesTheLargestCodesScalesMinsAndProducts() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        // every scale and min 63, codes 31 or 0, activations quantized to ±127: unsigned sums of 31·127 that wrap a
        // 16-bit lane before the offset comes off
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            int rows = 48;
            int cols = 512;
            Tensor w = Tensor.allocate(arena, DType.Q5_K, rows, cols);
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < cols / 256; b++) {
                    long o = r * w.rowBytes() + b * 176L;
                    w.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.01f));
                    w.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2, Float.floatToFloat16(0.002f));
                    for (int k = 0; k < 12; k++) {
                        w.data().set(ValueLayout.JAVA_BYTE, o + 4 + k, (byte) 0xFF);
                    }
                    for (int k = 0; k < 160; k++) {
                        w.data().set(ValueLayout.JAVA_BYTE, o + 16 + k,
                                (byte) (r % 3 == 0 ? 0xFF : r % 3 == 1 ? 0x00 : 0x0F));
                    }
                }
            }
            float[] x = new float[cols];
            for (int c = 0; c < cols; c++) {
                x[c] = (c / 32) % 2 == 0 ? 3f : -3f;
            }
            InterleavedMatrix q = InterleavedMatrix.of(w, pool, false);
            float[] got = new float[rows];
            q.multiplyQuantized(pool, x, 0, got, 0);
            assertCloseToTheFile(w, x, 0, got, 0);
        }
    }

    @Test
    void q6kSurvivesTheLargestCodesScalesAndProducts() {
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
            InterleavedMatrix q = InterleavedMatrix.of(w, pool, false);
            float[] got = new float[rows];
            q.multiplyQuantized(pool, x, 0, got, 0);
            assertCloseToTheFile(w, x, 0, got, 0);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void manyTokensRunThePackedGemmOnTheSameValuesAsTheFile(DType type) {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(29 + type.ordinal());
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int[] shape : new int[][] {{48, 256}, {64, 1536}, {256, 512}}) {
                Tensor w = RandomWeights.gaussian(arena, type, shape[0], shape[1], rnd.nextLong());
                // copied on this thread: every group through the same staging buffer
                InterleavedMatrix q = InterleavedMatrix.of(w, null, false);
                for (int n : new int[] {1, 2, 7, 40}) {
                    float[] x = TestKernels.gaussian(rnd, 1 + n * shape[1]);
                    float[] want = new float[n * shape[0]];
                    MatMul.multiplyPacked(pool, WeightKernels.simd(type), w, x, 1, n, want, 0);
                    float[] got = new float[want.length];
                    q.multiply(pool, x, 1, n, got, 0);
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], got[i], 0f, w + " n=" + n + " at " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void shapesItCannotTakeAreRefusedByName(DType type) {
        try (Arena arena = Arena.ofShared()) {
            Tensor odd = RandomWeights.gaussian(arena, type, 17, 256, 1);
            assertFalse(InterleavedMatrix.supports(odd));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> InterleavedMatrix.of(odd, null, false));
            assertTrue(e.getMessage().contains(type.name()) && e.getMessage().contains("[17, 256]"), e.getMessage());
            assertFalse(InterleavedQ4_K.supports(RandomWeights.gaussian(arena, DType.Q6_K, 16, 256, 1)));
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
            WeightKernels.reference(w.type()).dequantize(w.data(), r * w.rowBytes(), row, 0, cols);
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
