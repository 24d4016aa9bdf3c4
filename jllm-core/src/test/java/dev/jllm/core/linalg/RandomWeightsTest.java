package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class RandomWeightsTest {

    @Test
    void floatWeightsAreStandardGaussian() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = RandomWeights.gaussian(arena, DType.F32, 64, 256, 1);
            float[] v = new float[64 * 256];
            TestKernels.FLOAT.dequantize(t.data(), 0, v, 0, v.length);
            double sum = 0;
            double sq = 0;
            for (float f : v) {
                sum += f;
                sq += f * f;
            }
            assertEquals(0, sum / v.length, 0.05);
            assertEquals(1, sq / v.length, 0.05);
        }
    }

    @Test
    void distinctRowsRepeatToFillTheMatrix() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = RandomWeights.gaussian(arena, DType.F16, 11, 32, 2, 4);
            MemorySegment data = t.data();
            long rb = t.rowBytes();
            for (int r = 4; r < 11; r++) {
                assertEquals(-1, data.asSlice((r % 4) * rb, rb).mismatch(data.asSlice(r * rb, rb)), "row " + r);
            }
            assertTrue(data.asSlice(0, rb).mismatch(data.asSlice(rb, rb)) >= 0, "drawn rows differ");
        }
    }

    @Test
    void activationOnlyTypesAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> RandomWeights.gaussian(arena, DType.Q8_K, 1, 256, 1));
        }
    }

    @Test
    void everyTypeWithKernelsDequantizesToFiniteValues() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType type : DType.values()) {
                if (!WeightKernels.hasKernels(type)) {
                    continue;
                }
                int cols = 2 * type.blockSize() * (type.blockSize() == 1 ? 32 : 1);
                Tensor t = RandomWeights.gaussian(arena, type, 3, cols, 4);
                WeightKernel k = WeightKernels.reference(type);
                float[] v = new float[3 * cols];
                k.dequantize(t.data(), 0, v, 0, v.length);
                for (float f : v) {
                    assertTrue(Float.isFinite(f), type + " gave " + f);
                }
            }
        }
    }
}
