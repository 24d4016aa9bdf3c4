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

/**
 * The interleaved Q4_0 copy: its integer single-token kernel against its scalar twin (bit for bit) and GGML's Q4_0 ×
 * Q8_0 dot (the scalar reference kernel), the largest products its 16-bit lanes hold, and products of many tokens
 * against the packed GEMM on the file.
 */
class InterleavedQ4_0Test {
    @Test
    void quantizedSingleTokenEqualsItsTwinAndGgmlsQuantizedDot() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(11);
        WeightKernel scalar = WeightKernels.reference(DType.Q4_0);
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            for (int[] shape : new int[][] {{16, 32}, {48, 96}, {64, 288}, {112, 1024}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q4_0, shape[0], shape[1], rnd.nextLong());
                InterleavedQ4_0 q = InterleavedQ4_0.of(w, three, false);
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
    void manyTokensRunThePackedGemmOnTheSameValuesAsTheFile() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(23);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int[] shape : new int[][] {{48, 96}, {64, 544}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q4_0, shape[0], shape[1], rnd.nextLong());
                InterleavedQ4_0 q = InterleavedQ4_0.of(w, pool, false);
                for (int n : new int[] {2, 7, 40}) {
                    float[] x = TestKernels.gaussian(rnd, 1 + n * shape[1]);
                    float[] want = new float[n * shape[0]];
                    MatMul.multiplyPacked(pool, WeightKernels.simd(DType.Q4_0), w, x, 1, n, want, 0);
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
            Tensor odd = RandomWeights.gaussian(arena, DType.Q4_0, 17, 32, 1);
            assertFalse(InterleavedQ4_0.supports(odd));
            assertThrows(IllegalArgumentException.class, () -> InterleavedQ4_0.of(odd, null, false));
            assertFalse(InterleavedQ4_0.supports(RandomWeights.gaussian(arena, DType.Q8_0, 16, 32, 1)));
        }
    }
}
