package dev.jllm.core.quant.legacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** SIMD kernels against the scalar reference on random blocks, odd block counts and offsets. */
class LegacyKernelTest {
    private static final int[] BLOCK_COUNTS = {1, 2, 3, 7, 33};
    private final LegacyFamily family = new LegacyFamily();

    @Test
    void registryFindsTheFamily() {
        for (DType t : RandomBlocks.TYPES) {
            assertSame(t, WeightKernels.simd(t).type());
            assertSame(t, WeightKernels.reference(t).type());
            assertSame(t, WeightKernels.quantizer(t).type());
        }
        assertEquals(null, family.simd(DType.Q4_K));
        assertEquals(null, family.quantizer(DType.F32));
    }

    @Test
    void dequantizeMatchesReferenceExactly() {
        Random rnd = new Random(11);
        for (DType t : RandomBlocks.TYPES) {
            for (int blocks : BLOCK_COUNTS) {
                long offset = rnd.nextInt(40);
                MemorySegment w = RandomBlocks.fill(t, blocks, offset, rnd);
                int dstOffset = rnd.nextInt(9);
                float[] expected = new float[dstOffset + blocks * 32 + 5];
                float[] actual = expected.clone();
                family.reference(t).dequantize(w, offset, expected, dstOffset, blocks * 32);
                family.simd(t).dequantize(w, offset, actual, dstOffset, blocks * 32);
                assertArrayEquals(expected, actual, t + " x" + blocks);
            }
        }
    }

    @Test
    void dotMatchesReference() {
        Random rnd = new Random(12);
        for (DType t : RandomBlocks.TYPES) {
            for (int blocks : BLOCK_COUNTS) {
                for (int trial = 0; trial < 3; trial++) {
                    long offset = rnd.nextInt(40);
                    MemorySegment w = RandomBlocks.fill(t, blocks, offset, rnd);
                    int xOffset = rnd.nextInt(13);
                    float[] x = RandomBlocks.gaussian(xOffset + blocks * 32 + 3, rnd);
                    float[] wf = new float[blocks * 32];
                    family.reference(t).dequantize(w, offset, wf, 0, wf.length);
                    double magnitude = 0;
                    for (int i = 0; i < wf.length; i++) {
                        magnitude += Math.abs((double) wf[i] * x[xOffset + i]);
                    }
                    float expected = family.reference(t).dot(w, offset, x, xOffset, blocks * 32);
                    float actual = family.simd(t).dot(w, offset, x, xOffset, blocks * 32);
                    assertEquals(expected, actual, 1e-5 * magnitude + 1e-30, t + " x" + blocks);
                }
            }
        }
    }

    @Test
    void dotQuantizedMatchesReference() {
        Random rnd = new Random(13);
        for (DType t : RandomBlocks.TYPES) {
            for (DType format : new DType[] {DType.Q8_0, DType.Q8_1}) {
                boolean hasMin = t == DType.Q4_1 || t == DType.Q5_1;
                if (hasMin && format == DType.Q8_0) {
                    continue;
                }
                for (int blocks : BLOCK_COUNTS) {
                    long offset = rnd.nextInt(40);
                    MemorySegment w = RandomBlocks.fill(t, blocks, offset, rnd);
                    int xBlocks = rnd.nextInt(3);
                    float[] x = RandomBlocks.gaussian((xBlocks + blocks + 1) * 32, rnd);
                    QuantizedActivations qa = new QuantizedActivations(format, x.length).quantize(x, 0, x.length);
                    int xOffset = xBlocks * 32;
                    double magnitude = quantizedMagnitude(family.reference(t), w, offset, qa, xOffset, blocks);
                    float expected = family.reference(t).dotQuantized(w, offset, qa, xOffset, blocks * 32);
                    float actual = family.simd(t).dotQuantized(w, offset, qa, xOffset, blocks * 32);
                    assertEquals(expected, actual, 1e-5 * magnitude + 1e-30, t + "·" + format + " x" + blocks);
                }
            }
        }
    }

    /** Σ |terms| of the quantized dot product, to scale the float rounding tolerance. */
    private static double quantizedMagnitude(WeightKernel ref, MemorySegment w, long offset, QuantizedActivations qa,
            int xOffset, int blocks) {
        float[] wf = new float[blocks * 32];
        ref.dequantize(w, offset, wf, 0, wf.length);
        double m = 0;
        for (int i = 0; i < wf.length; i++) {
            int xb = (xOffset + i) / 32;
            m += Math.abs((double) wf[i] * qa.qs[xOffset + i] * qa.scales[xb]);
            if (qa.format() == DType.Q8_1 && i % 32 == 0) {
                m += Math.abs(qa.blockSums[xb]);
            }
        }
        return m;
    }

    @Test
    void quantizedDotApproximatesFloatDot() {
        Random rnd = new Random(14);
        for (DType t : RandomBlocks.TYPES) {
            WeightKernel k = family.simd(t);
            DType format = t == DType.Q4_1 || t == DType.Q5_1 ? DType.Q8_1 : DType.Q8_0;
            int blocks = 64;
            MemorySegment w = RandomBlocks.fill(t, blocks, 0, rnd);
            float[] x = RandomBlocks.gaussian(blocks * 32, rnd);
            QuantizedActivations qa = new QuantizedActivations(format, x.length).quantize(x, 0, x.length);
            float[] wf = new float[x.length];
            k.dequantize(w, 0, wf, 0, wf.length);
            double magnitude = 0;
            for (int i = 0; i < wf.length; i++) {
                magnitude += Math.abs((double) wf[i] * x[i]);
            }
            float exact = k.dot(w, 0, x, 0, x.length);
            float approx = k.dotQuantized(w, 0, qa, 0, x.length);
            // 8-bit activations err by at most half a step (amax/254) per element, plus the F16 block sums
            assertEquals(exact, approx, 0.02 * magnitude, t.toString());
        }
    }

    @Test
    void activationTypeIsUsableByDotQuantized() {
        Random rnd = new Random(15);
        for (DType t : RandomBlocks.TYPES) {
            WeightKernel k = WeightKernels.simd(t);
            DType format = k.activationType();
            if (format == null) {
                continue;
            }
            assertTrue(format == DType.Q8_0 || format == DType.Q8_1, t + " -> " + format);
            MemorySegment w = RandomBlocks.fill(t, 4, 0, rnd);
            float[] x = RandomBlocks.gaussian(128, rnd);
            QuantizedActivations qa = new QuantizedActivations(format, 128).quantize(x, 0, 128);
            assertEquals(WeightKernels.reference(t).dotQuantized(w, 0, qa, 0, 128), k.dotQuantized(w, 0, qa, 0, 128),
                    1e-3f);
        }
    }

    @Test
    void readsNothingPastTheLastBlock() {
        // a native segment holding exactly the blocks: any vector load past the end would throw
        Random rnd = new Random(16);
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : RandomBlocks.TYPES) {
                int blocks = 5;
                long bytes = (long) blocks * t.blockBytes();
                MemorySegment exact = arena.allocate(bytes, 1);
                MemorySegment.copy(RandomBlocks.fill(t, blocks, 0, rnd), 0, exact, 0, bytes);
                WeightKernel k = family.simd(t);
                float[] x = RandomBlocks.gaussian(blocks * 32, rnd);
                float[] out = new float[blocks * 32];
                k.dequantize(exact, 0, out, 0, out.length);
                QuantizedActivations qa = new QuantizedActivations(DType.Q8_1, x.length).quantize(x, 0, x.length);
                assertEquals(family.reference(t).dot(exact, 0, x, 0, x.length), k.dot(exact, 0, x, 0, x.length),
                        1e-3f, t.toString());
                assertEquals(family.reference(t).dotQuantized(exact, 0, qa, 0, x.length),
                        k.dotQuantized(exact, 0, qa, 0, x.length), 1e-3f, t.toString());
            }
        }
    }
}
