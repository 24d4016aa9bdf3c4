package dev.jllm.core.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jllm.core.linalg.RandomWeights;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link WeightKernel#dotRows} of every SIMD kernel against the reference kernel's {@link WeightKernel#dot}
 * row by row: row counts around the multi-row kernels' group sizes (1..9, 13), rows spaced wider
 * than they are long, and offsets into the weights, x and y.
 */
class DotRowsTest {
    private static final int[] ROW_COUNTS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13};

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

    @Test
    void dotRowsMatchesReferenceDotPerRow() {
        Random rnd = new Random(21);
        try (Arena arena = Arena.ofConfined()) {
            for (DType type : typesWithKernels()) {
                WeightKernel simd = WeightKernels.simd(type);
                WeightKernel ref = WeightKernels.reference(type);
                int cols = type.blockSize() * (type.blockSize() >= 256 ? 3 : 7);
                for (int rows : ROW_COUNTS) {
                    Tensor dense = RandomWeights.gaussian(arena, type, rows, cols, rnd.nextLong());
                    long rowBytes = dense.rowBytes();
                    long stride = rowBytes + rnd.nextInt(3) * 8;
                    long offset = rnd.nextInt(50);
                    MemorySegment w = arena.allocate(offset + rows * stride + rnd.nextInt(5));
                    for (int r = 0; r < rows; r++) {
                        MemorySegment.copy(dense.data(), r * rowBytes, w, offset + r * stride, rowBytes);
                    }
                    int xOffset = rnd.nextInt(11);
                    float[] x = new float[xOffset + cols + 3];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) rnd.nextGaussian();
                    }
                    int yOffset = rnd.nextInt(4);
                    float[] y = new float[yOffset + rows + 2];
                    y[y.length - 1] = 42;
                    simd.dotRows(w, offset, stride, rows, x, xOffset, cols, y, yOffset);
                    float[] row = new float[cols];
                    for (int r = 0; r < rows; r++) {
                        long at = offset + r * stride;
                        float expected = ref.dot(w, at, x, xOffset, cols);
                        ref.dequantize(w, at, row, 0, cols);
                        double magnitude = 0;
                        for (int c = 0; c < cols; c++) {
                            magnitude += Math.abs((double) row[c] * x[xOffset + c]);
                        }
                        assertEquals(expected, y[yOffset + r], 1e-5 * magnitude + 1e-30,
                                type + ": row " + r + " of " + rows);
                    }
                    assertEquals(42, y[y.length - 1], type + ": wrote past the rows");
                }
            }
        }
    }

    @Test
    void dotRowsRejectsRowsOutsideTheWeights() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType type : typesWithKernels()) {
                WeightKernel simd = WeightKernels.simd(type);
                int cols = type.blockSize();
                Tensor w = RandomWeights.gaussian(arena, type, 4, cols, 3);
                float[] x = new float[cols];
                float[] y = new float[8];
                assertThrows(RuntimeException.class,
                        () -> simd.dotRows(w.data(), 0, w.rowBytes(), 5, x, 0, cols, y, 0), type + ": fifth row");
                assertThrows(RuntimeException.class,
                        () -> simd.dotRows(w.data(), 0, w.rowBytes(), 4, x, 0, cols, new float[3], 0), type + ": short y");
            }
        }
    }
}
