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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The interleaved 2- to 6-bit copies ({@link InterleavedQ4_0}, {@link InterleavedQ4_1},
 * {@link InterleavedQ5_0}, {@link InterleavedQ5_1}, {@link InterleavedQ2_K}, {@link InterleavedQ3_K},
 * {@link InterleavedQ4_K},
 * {@link InterleavedQ5_K}, {@link InterleavedQ6_K}; Q8_0 has its
 * own test): the integer single-token kernel against
 * its scalar twin (bit for bit), against the file's weights, dequantized by the scalar reference kernel, times the same
 * int8 activations in double, and for Q4_0 and Q5_0 against GGML's own dot with Q8_0 activations (its K-quant dots
 * quantize x per 256, not per 32); the largest codes, scales, mins and products each type's 16-bit lanes meet; and
 * products of many tokens against the packed GEMM on the file.
 */
class InterleavedTypesTest {
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void quantizedSingleTokenEqualsItsTwinAndTheDequantizedFileInDouble(DType type) {
        assumeTrue(InterleavedMatrix.runsOnThisMachine(), "no interleaved kernels for this vector width");
        Random rnd = new Random(type.ordinal());
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            for (int[] shape : new int[][] {{16, 256}, {48, 512}, {80, 1280}, {96, 256}, {112, 512}}) {
                Tensor w = RandomWeights.gaussian(arena, type, shape[0], shape[1], rnd.nextLong());
                for (InterleavedMatrix q : InterleavedWidths.copies(w, three)) {
                float[] x = TestKernels.gaussian(rnd, 3 + shape[1]);
                float[] twin = new float[2 + shape[0]];
                q.referenceQuantized(x, 3, twin, 2);
                assertCloseToTheFile(w, x, 3, twin, 2);
                if (type == DType.Q4_0 || type == DType.Q5_0) {
                    QuantizedActivations qx = new QuantizedActivations(DType.Q8_0, shape[1]).quantize(x, 3, shape[1]);
                    for (int r = 0; r < shape[0]; r++) {
                        float want = WeightKernels.reference(type).dotQuantized(w.data(), r * w.rowBytes(), qx, 0,
                                shape[1]);
                        assertEquals(want, twin[2 + r], 1e-5f * Math.max(1f, Math.abs(want)), w + " row " + r);
                    }
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

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void theLargestCodesScalesAndProductsStayExact(DType type) {
        assumeTrue(InterleavedMatrix.runsOnThisMachine(), "no interleaved kernels for this vector width");
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            int rows = 48;
            int cols = 512;
            Tensor w = Tensor.allocate(arena, type, rows, cols);
            for (int r = 0; r < rows; r++) {
                byte v = (byte) (r % 3 == 0 ? 0xFF : r % 3 == 1 ? 0x00 : 0x0F);
                for (int b = 0; b < cols / type.blockSize(); b++) {
                    writeExtremeBlock(type, w.data(), r * w.rowBytes() + (long) b * type.blockBytes(), r, v);
                }
            }
            // activations quantized to ±127
            float[] x = new float[cols];
            for (int c = 0; c < cols; c++) {
                x[c] = (c / 32) % 2 == 0 ? 3f : -3f;
            }
            for (InterleavedMatrix q : InterleavedWidths.copies(w, pool)) {
                float[] got = new float[rows];
                q.multiplyQuantized(pool, x, 0, got, 0);
                assertCloseToTheFile(w, x, 0, got, 0);
            }
        }
    }

    /**
     * One block of a matrix of extreme values: every code byte {@code v} (0xFF, 0x00 or 0x0F by row: all codes the
     * largest, all zero, or mixed), and the largest sub-block scales and mins. Against activations of ±127 this meets
     * each kernel's widest 16-bit sums: Q4_0's 16 products of 15·127 per lane; Q5_0's and Q5_K's unsigned sums of
     * 31·127 that wrap before the offset comes off, and 16 products of 16·127 after; Q4_K's scales and mins of 63;
     * Q6_K's eight products of 32·127 per lane and scales of 127 and −128; Q3_K's 16 products of 7·127 per lane and
     * scales of 31 and −32; Q2_K's scales and mins of 15.
     */
    private static void writeExtremeBlock(DType type, MemorySegment m, long o, int r, byte v) {
        switch (type) {
            case Q4_0, Q5_0 -> {
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.25f));
                m.asSlice(o + 2, type.blockBytes() - 2).fill(v);
            }
            case Q4_1, Q5_1 -> {
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.25f));
                // mins that vary by block, so that their sum against x's alternating block sums does not cancel
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2,
                        Float.floatToFloat16((o / type.blockBytes() + r) % 3 == 0 ? -1.5f : 2f));
                m.asSlice(o + 4, type.blockBytes() - 4).fill(v);
            }
            case Q4_K, Q5_K -> {
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.01f));
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2, Float.floatToFloat16(0.002f));
                m.asSlice(o + 4, 12).fill((byte) 0xFF);
                m.asSlice(o + 16, type.blockBytes() - 16).fill(v);
            }
            case Q6_K -> {
                m.asSlice(o, 192).fill(v);
                for (int k = 0; k < 16; k++) {
                    m.set(ValueLayout.JAVA_BYTE, o + 192 + k, (byte) ((r + k) % 2 == 0 ? 127 : -128));
                }
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 208, Float.floatToFloat16(0.001f));
            }
            case Q2_K -> {
                // every scale and min 15 in even rows; in odd ones scale 15 and min 0, then the reverse
                m.asSlice(o, 16).fill((byte) (r % 2 == 0 ? 0xFF : (o / type.blockBytes()) % 2 == 0 ? 0x0F : 0xF0));
                m.asSlice(o + 16, 64).fill(v);
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 80, Float.floatToFloat16(0.01f));
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 82, Float.floatToFloat16(0.004f));
            }
            case Q3_K -> {
                m.asSlice(o, 96).fill(v);
                // every 6-bit scale 63 (31 after the bias) in even rows, 0 (−32) in odd ones
                m.asSlice(o + 96, 12).fill((byte) (r % 2 == 0 ? 0xFF : 0x00));
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 108, Float.floatToFloat16(0.01f));
            }
            default -> throw new IllegalArgumentException(type.name());
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void manyTokensRunThePackedGemmOnTheSameValuesAsTheFile(DType type) {
        assumeTrue(InterleavedMatrix.runsOnThisMachine(), "no interleaved kernels for this vector width");
        Random rnd = new Random(29 + type.ordinal());
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int[] shape : new int[][] {{48, 256}, {64, 1536}, {256, 512}}) {
                Tensor w = RandomWeights.gaussian(arena, type, shape[0], shape[1], rnd.nextLong());
                // copied on this thread: every group through the same staging buffer
                for (InterleavedMatrix q : InterleavedWidths.copies(w, null)) {
                for (int n : new int[] {1, 2, 7, 40}) {
                    float[] x = TestKernels.gaussian(rnd, 1 + n * shape[1]);
                    float[] want = new float[n * shape[0]];
                    MatMul.multiplyPacked(pool, WeightKernels.simd(type), w, x, 1, n, want, 0);
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

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void shapesItCannotTakeAreRefusedByName(DType type) {
        try (Arena arena = Arena.ofShared()) {
            Tensor odd = RandomWeights.gaussian(arena, type, 17, 256, 1);
            assertFalse(InterleavedMatrix.supports(odd));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> InterleavedMatrix.of(odd, null, false));
            assertTrue(e.getMessage().contains(type.name()) && e.getMessage().contains("[17, 256]"), e.getMessage());
            assertFalse(InterleavedQ4_K.supports(RandomWeights.gaussian(arena, DType.Q6_K, 16, 256, 1)));
            assertFalse(InterleavedQ6_K.supports(RandomWeights.gaussian(arena, DType.Q4_K, 16, 256, 1)));
            assertFalse(InterleavedQ3_K.supports(RandomWeights.gaussian(arena, DType.Q4_K, 16, 256, 1)));
            assertFalse(InterleavedQ2_K.supports(RandomWeights.gaussian(arena, DType.Q3_K, 16, 256, 1)));
            assertFalse(InterleavedQ4_K.supports(RandomWeights.gaussian(arena, DType.Q3_K, 16, 256, 1)));
            assertFalse(InterleavedQ4_0.supports(RandomWeights.gaussian(arena, DType.Q5_0, 16, 256, 1)));
            assertFalse(InterleavedQ5_0.supports(RandomWeights.gaussian(arena, DType.Q4_0, 16, 256, 1)));
            assertFalse(InterleavedQ4_1.supports(RandomWeights.gaussian(arena, DType.Q4_0, 16, 256, 1)));
            assertFalse(InterleavedQ4_0.supports(RandomWeights.gaussian(arena, DType.Q4_1, 16, 256, 1)));
            assertFalse(InterleavedQ5_1.supports(RandomWeights.gaussian(arena, DType.Q5_0, 16, 256, 1)));
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
