package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The interleaved Q8_0 product against the plain dequantize-and-dot reference of {@link MatMul#reference}, and its
 * SIMD kernels against its scalar twin: every token count up to 19 (the 8-, 4- and 1-token kernels and their
 * mixes), one and three threads.
 */
class InterleavedQ8_0Test {
    @Test
    void productsEqualTheReference() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == 16, "the kernels are written for 16-lane vectors");
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            for (int[] shape : new int[][] {{16, 32}, {48, 96}, {64, 288}}) {
                Tensor w = RandomWeights.gaussian(arena, DType.Q8_0, shape[0], shape[1], rnd.nextLong());
                InterleavedQ8_0 q = InterleavedQ8_0.of(w);
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
