package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
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
 * The interleaved Q4_0 and Q5_0 copies: the integer single-token kernel against its scalar twin (bit for bit) and
 * GGML's Q4_0/Q5_0 × Q8_0 dot (the scalar reference kernel), the largest products the 16-bit lanes meet, and products
 * of many tokens against the packed GEMM on the file.
 */
class InterleavedLegacyTest {
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q5_0"})
    void quantizedSingleTokenEqualsItsTwinAndGgmlsQuantizedDot(DType type) {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(11 + type.ordinal());
        WeightKernel scalar = WeightKernels.reference(type);
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            for (int[] shape : new int[][] {{16, 32}, {48, 96}, {64, 288}, {112, 1024}}) {
                Tensor w = RandomWeights.gaussian(arena, type, shape[0], shape[1], rnd.nextLong());
                InterleavedMatrix q = InterleavedMatrix.of(w, three, false);
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
                        assertEquals(twin[i], got[i], 0f, w + " threads=" + pool.threads() + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void quantizedSingleTokenSurvivesTheLargestProducts() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        // codes of 15 and 0 (weights +7 and −8) against activations quantized to ±127: 16 products of 15·127 per lane
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            int rows = 48;
            int cols = 128;
            Tensor w = Tensor.allocate(arena, DType.Q4_0, rows, cols);
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < cols / 32; b++) {
                    long o = r * w.rowBytes() + b * 18L;
                    w.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.25f));
                    for (int k = 0; k < 16; k++) {
                        byte v = (byte) (r % 3 == 0 ? 0xFF : r % 3 == 1 ? 0x00 : 0x0F);
                        w.data().set(ValueLayout.JAVA_BYTE, o + 2 + k, v);
                    }
                }
            }
            float[] x = new float[cols];
            for (int c = 0; c < cols; c++) {
                x[c] = (c / 32) % 2 == 0 ? 3f : -3f;
            }
            InterleavedQ4_0 q = InterleavedQ4_0.of(w, pool, false);
            float[] got = new float[rows];
            q.multiplyQuantized(pool, x, 0, got, 0);
            QuantizedActivations qx = new QuantizedActivations(DType.Q8_0, cols).quantize(x, 0, cols);
            for (int r = 0; r < rows; r++) {
                float want = WeightKernels.reference(DType.Q4_0).dotQuantized(w.data(), r * w.rowBytes(), qx, 0, cols);
                assertEquals(want, got[r], 1e-6f * Math.abs(want) + 1e-6f, "row " + r);
            }
        }
    }

    @Test
    void q5SurvivesTheLargestProductsAndItsWrappedSums() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        // codes 31 and 0 (weights +15 and −16) against activations quantized to ±127: 16 products of 16·127 per
        // lane after the offset, and unsigned sums of 31·127 that wrap 16 bits before it comes off
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            int rows = 48;
            int cols = 128;
            Tensor w = Tensor.allocate(arena, DType.Q5_0, rows, cols);
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < cols / 32; b++) {
                    long o = r * w.rowBytes() + b * 22L;
                    w.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.25f));
                    byte v = (byte) (r % 3 == 0 ? 0xFF : r % 3 == 1 ? 0x00 : 0x0F);
                    for (int k = 0; k < 4; k++) {
                        w.data().set(ValueLayout.JAVA_BYTE, o + 2 + k, v);
                    }
                    for (int k = 0; k < 16; k++) {
                        w.data().set(ValueLayout.JAVA_BYTE, o + 6 + k, v);
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
            QuantizedActivations qx = new QuantizedActivations(DType.Q8_0, cols).quantize(x, 0, cols);
            for (int r = 0; r < rows; r++) {
                float want = WeightKernels.reference(DType.Q5_0).dotQuantized(w.data(), r * w.rowBytes(), qx, 0, cols);
                assertEquals(want, got[r], 1e-6f * Math.abs(want) + 1e-6f, "row " + r);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q5_0"})
    void manyTokensRunThePackedGemmOnTheSameValuesAsTheFile(DType type) {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(23 + type.ordinal());
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int[] shape : new int[][] {{48, 96}, {64, 544}, {256, 512}}) {
                Tensor w = RandomWeights.gaussian(arena, type, shape[0], shape[1], rnd.nextLong());
                // copied on this thread: every group through the same staging buffer
                InterleavedMatrix q = InterleavedMatrix.of(w, null, false);
                for (int n : new int[] {2, 7, 40}) {
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
    @EnumSource(value = DType.class, names = {"Q4_0", "Q5_0"})
    void shapesItCannotTakeAreRefusedByName(DType type) {
        try (Arena arena = Arena.ofShared()) {
            Tensor odd = RandomWeights.gaussian(arena, type, 17, 32, 1);
            assertFalse(InterleavedMatrix.supports(odd));
            assertThrows(IllegalArgumentException.class, () -> InterleavedMatrix.of(odd, null, false));
            assertFalse(InterleavedQ4_0.supports(RandomWeights.gaussian(arena, DType.Q5_0, 16, 32, 1)));
            assertFalse(InterleavedQ5_0.supports(RandomWeights.gaussian(arena, DType.Q4_0, 16, 32, 1)));
        }
    }
}
