package dev.jllm.core.quant.kquant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SIMD kernels against the scalar references on random blocks, and the Q8_K dot products. */
class KQuantKernelTest {
    private static final int[] BLOCK_COUNTS = {1, 3, 7};
    private static final int[] OFFSETS = {0, 3};

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void simdDequantizeMatchesReferenceExactly(DType type) {
        WeightKernel simd = WeightKernels.simd(type);
        WeightKernel ref = WeightKernels.reference(type);
        Random random = new Random(type.ordinal());
        for (int blocks : BLOCK_COUNTS) {
            for (int offset : OFFSETS) {
                MemorySegment w = RandomBlocks.make(type, blocks, offset, random);
                int n = blocks * 256;
                float[] expected = new float[n + 2];
                float[] actual = new float[n + 2];
                ref.dequantize(w, offset, expected, 1, n);
                simd.dequantize(w, offset, actual, 1, n);
                assertArrayEquals(expected, actual, type + " blocks=" + blocks + " offset=" + offset);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void simdDotMatchesReference(DType type) {
        WeightKernel simd = WeightKernels.simd(type);
        WeightKernel ref = WeightKernels.reference(type);
        Random random = new Random(100 + type.ordinal());
        for (int blocks : BLOCK_COUNTS) {
            for (int offset : OFFSETS) {
                MemorySegment w = RandomBlocks.make(type, blocks, offset, random);
                int n = blocks * 256;
                float[] x = RandomBlocks.gaussian(n + 7, random);
                float[] deq = new float[n];
                ref.dequantize(w, offset, deq, 0, n);
                double exact = 0;
                double magnitude = 0;
                for (int i = 0; i < n; i++) {
                    exact += (double) deq[i] * x[5 + i];
                    magnitude += Math.abs((double) deq[i] * x[5 + i]);
                }
                double tolerance = 1e-5 * magnitude + 1e-6;
                String where = type + " blocks=" + blocks + " offset=" + offset;
                assertEquals(exact, ref.dot(w, offset, x, 5, n), tolerance, where);
                assertEquals(exact, simd.dot(w, offset, x, 5, n), tolerance, where);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void quantizedDotMatchesDequantizedProduct(DType type) {
        WeightKernel ref = WeightKernels.reference(type);
        assertEquals(DType.Q8_K, ref.activationType());
        Random random = new Random(200 + type.ordinal());
        for (int blocks : BLOCK_COUNTS) {
            int n = blocks * 256;
            MemorySegment w = RandomBlocks.make(type, blocks, 3, random);
            float[] x = RandomBlocks.gaussian(n + 256, random);
            QuantizedActivations q = new QuantizedActivations(DType.Q8_K, n + 256).quantize(x, 0, n + 256);
            float[] deq = new float[n];
            ref.dequantize(w, 3, deq, 0, n);
            double exact = 0;
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                // activations start at the second Q8_K block
                double xq = (double) q.scales[1 + i / 256] * q.qs[256 + i];
                exact += deq[i] * xq;
                magnitude += Math.abs(deq[i] * xq);
            }
            assertEquals(exact, ref.dotQuantized(w, 3, q, 256, n), 1e-5 * magnitude + 1e-6, type + " blocks=" + blocks);
            WeightKernel simd = WeightKernels.simd(type);
            if (simd.activationType() != null) {
                assertEquals(exact, simd.dotQuantized(w, 3, q, 256, n), 1e-5 * magnitude + 1e-6, type + " simd");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void countNotMultipleOf256IsRejected(DType type) {
        for (WeightKernel k : new WeightKernel[] {WeightKernels.simd(type), WeightKernels.reference(type)}) {
            MemorySegment w = RandomBlocks.make(type, 2, 0, new Random(1));
            float[] x = new float[512];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.dot(w, 0, x, 0, 300));
            assertTrue(e.getMessage().contains("300"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.dequantize(w, 0, x, 0, 100));
            assertTrue(e.getMessage().contains("100"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> k.dot(w, 0, x, 1, 512), "activation window");
            assertThrows(IllegalArgumentException.class, () -> k.dot(w, 10, x, 0, 512), "segment too short");
        }
        WeightKernel ref = WeightKernels.reference(type);
        QuantizedActivations q = new QuantizedActivations(DType.Q8_K, 512).quantize(new float[512], 0, 512);
        MemorySegment w = RandomBlocks.make(type, 2, 0, new Random(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ref.dotQuantized(w, 0, q, 0, 257));
        assertTrue(e.getMessage().contains("257"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void familyProvidesKernels(DType type) {
        assertNotNull(WeightKernels.simd(type));
        assertEquals(type, WeightKernels.simd(type).type());
        assertEquals(type, WeightKernels.reference(type).type());
        // the SIMD kernels' fast path takes F32 activations, so they decline Q8_K ones
        WeightKernel simd = WeightKernels.simd(type);
        assertEquals(null, simd.activationType());
        QuantizedActivations q = new QuantizedActivations(DType.Q8_K, 256).quantize(new float[256], 0, 256);
        assertThrows(UnsupportedOperationException.class,
                () -> simd.dotQuantized(RandomBlocks.make(type, 1, 0, new Random(2)), 0, q, 0, 256));
    }
}
