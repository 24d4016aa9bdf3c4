package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The drivers over the real kernels of every type this build has: parallel SIMD against the
 * serial reference kernels. This also catches kernels that are not safe to call from several
 * threads at once.
 */
class EveryWeightTypeTest {

    private static List<DType> typesWithKernels() {
        List<DType> types = new ArrayList<>();
        for (DType t : DType.values()) {
            if (WeightKernels.hasKernels(t)) {
                types.add(t);
            }
        }
        assertFalse(types.isEmpty(), "no weight type has kernels");
        return types;
    }

    private static int columns(DType type) {
        return Math.max(2 * type.blockSize(), 96 / type.blockSize() * type.blockSize() + type.blockSize());
    }

    @Test
    void matVecMatchesReferenceKernels() {
        Random rnd = new Random(12);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(3)) {
            for (DType type : typesWithKernels()) {
                int cols = columns(type);
                Tensor w = RandomWeights.gaussian(arena, type, 17, cols, 5);
                float[] x = TestKernels.gaussian(rnd, cols);
                float[] y = new float[17];
                WeightKernel ref = WeightKernels.reference(type);
                WeightKernel simd = WeightKernels.simd(type);
                MatVec.multiply(pool, w, x, y);
                // The expectation takes the path MatVec takes for the SIMD kernel: float or quantized x.
                DType format = simd.activationType();
                QuantizedActivations qx =
                        format == null ? null : new QuantizedActivations(format, cols).quantize(x, 0, cols);
                float[] expected = new float[17];
                for (int r = 0; r < 17; r++) {
                    expected[r] = qx == null ? ref.dot(w.data(), r * w.rowBytes(), x, 0, cols)
                            : ref.dotQuantized(w.data(), r * w.rowBytes(), qx, 0, cols);
                }
                float[] row = new float[cols];
                for (int r = 0; r < 17; r++) {
                    ref.dequantize(w.data(), r * w.rowBytes(), row, 0, cols);
                    double scale = 0;
                    for (int c = 0; c < cols; c++) {
                        scale += Math.abs(row[c] * x[c]);
                    }
                    assertEquals(expected[r], y[r], 1e-4 * scale + 1e-6, type + " row " + r);
                }
            }
        }
    }

    @Test
    void matMulMatchesReferenceKernels() {
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(3)) {
            for (DType type : typesWithKernels()) {
                int cols = columns(type);
                int n = 7;
                Tensor w = RandomWeights.gaussian(arena, type, 35, cols, 6);
                float[] x = TestKernels.gaussian(rnd, n * cols);
                float[] y = new float[n * 35];
                float[] expected = new float[n * 35];
                MatMul.reference(WeightKernels.reference(type), w, x, 0, n, expected, 0);
                MatMul.multiply(pool, w, x, n, y);
                for (int i = 0; i < y.length; i++) {
                    float tol = 1e-4f * (float) Math.sqrt(cols) * Math.max(1f, Math.abs(expected[i]));
                    assertEquals(expected[i], y[i], tol, type + " at " + i);
                }
            }
        }
    }

    @Test
    void matVecOfSeveralMatricesMatchesReferenceKernels() {
        Random rnd = new Random(14);
        int[] rowCounts = {5, 41, 9};
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (DType type : typesWithKernels()) {
                int cols = columns(type);
                Tensor[] ws = new Tensor[rowCounts.length];
                float[][] ys = new float[rowCounts.length][];
                for (int i = 0; i < ws.length; i++) {
                    ws[i] = RandomWeights.gaussian(arena, type, rowCounts[i], cols, 20 + i);
                    ys[i] = new float[rowCounts[i]];
                }
                float[] x = TestKernels.gaussian(rnd, cols);
                MatVec.multiply(pool, ws, x, ys);
                WeightKernel simd = WeightKernels.simd(type);
                DType format = simd.activationType();
                QuantizedActivations qx =
                        format == null ? null : new QuantizedActivations(format, cols).quantize(x, 0, cols);
                WeightKernel ref = WeightKernels.reference(type);
                float[] row = new float[cols];
                for (int i = 0; i < ws.length; i++) {
                    for (int r = 0; r < rowCounts[i]; r++) {
                        long at = r * ws[i].rowBytes();
                        float expected = qx == null ? ref.dot(ws[i].data(), at, x, 0, cols)
                                : ref.dotQuantized(ws[i].data(), at, qx, 0, cols);
                        ref.dequantize(ws[i].data(), at, row, 0, cols);
                        double scale = 0;
                        for (int c = 0; c < cols; c++) {
                            scale += Math.abs(row[c] * x[c]);
                        }
                        assertEquals(expected, ys[i][r], 1e-4 * scale + 1e-6, type + " matrix " + i + " row " + r);
                    }
                }
            }
        }
    }
}
