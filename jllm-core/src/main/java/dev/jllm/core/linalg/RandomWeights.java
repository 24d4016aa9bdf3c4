package dev.jllm.core.linalg;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Random weight matrices of any type, for benchmarks and tests of the drivers.
 *
 * <p>Rows of unit Gaussian values go through the type's quantizer (float types included), so
 * the blocks are what a real model of that type holds, and no block layout is needed here.
 */
public final class RandomWeights {
    private RandomWeights() {
    }

    /** A [rows, cols] tensor of {@code type} in {@code arena} with every row drawn independently. */
    public static Tensor gaussian(Arena arena, DType type, int rows, int cols, long seed) {
        return gaussian(arena, type, rows, cols, seed, rows);
    }

    /**
     * A [rows, cols] tensor of {@code type} whose first {@code distinctRows} rows are drawn and
     * repeated to fill the rest: as fast to read as an all-random matrix, much faster to make.
     *
     * @throws IllegalArgumentException if the shape is invalid for the type, or the type is an
     *     activation-only type that has no quantizer
     */
    public static Tensor gaussian(Arena arena, DType type, int rows, int cols, long seed, int distinctRows) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape [" + rows + ", " + cols + "]");
        }
        Tensor t = Tensor.allocate(arena, type, rows, cols);
        int drawn = Math.min(rows, Math.max(1, distinctRows));
        SplittableRandom rnd = new SplittableRandom(seed);
        MemorySegment data = t.data();
        long rowBytes = t.rowBytes();
        float[] row = new float[cols];
        for (int r = 0; r < drawn; r++) {
            for (int c = 0; c < cols; c++) {
                row[c] = (float) rnd.nextGaussian();
            }
            writeRow(type, row, data, r * rowBytes);
        }
        for (long r = drawn; r < rows; r += drawn) {
            MemorySegment.copy(data, 0, data, r * rowBytes, Math.min(drawn, rows - r) * rowBytes);
        }
        return t;
    }

    private static void writeRow(DType type, float[] row, MemorySegment dst, long at) {
        WeightKernels.quantizer(type).quantize(row, 0, row.length, dst, at);
    }
}
