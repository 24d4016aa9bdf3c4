package dev.jllm.core.linalg;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Random weight matrices of any type, for benchmarks and tests of the drivers.
 *
 * <p>Float types get Gaussian values. A quantized type with a quantizer gets Gaussian rows
 * quantized by it. A quantized type without one (Q2_K and Q3_K, which jllm reads but does not
 * write) gets random bytes, with the block's scale fields then overwritten by small positive
 * values so every weight is finite. That is the only block-layout knowledge here, kept in
 * {@link #halfScaleOffsets} and {@link #floatScaleOffsets}: the byte offsets, within a block of
 * {@link DType#blockBytes()} bytes, of the F16 (resp. F32) scales of GGML's layouts.
 */
public final class RandomWeights {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
     *     activation-only type jllm cannot make weights of
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
            writeRow(type, row, data, r * rowBytes, rnd);
        }
        for (long r = drawn; r < rows; r += drawn) {
            MemorySegment.copy(data, 0, data, r * rowBytes, Math.min(drawn, rows - r) * rowBytes);
        }
        return t;
    }

    private static void writeRow(DType type, float[] row, MemorySegment dst, long at, SplittableRandom rnd) {
        int cols = row.length;
        if (WeightKernels.canQuantize(type)) {
            Quantizer q = WeightKernels.quantizer(type);
            q.quantize(row, 0, cols, dst, at);
            return;
        }
        switch (type) {
            case F32 -> {
                for (int c = 0; c < cols; c++) {
                    dst.set(FLOAT, at + 4L * c, row[c]);
                }
            }
            case F16 -> {
                for (int c = 0; c < cols; c++) {
                    dst.set(HALF, at + 2L * c, Float.floatToFloat16(row[c]));
                }
            }
            case BF16 -> {
                for (int c = 0; c < cols; c++) {
                    int bits = Float.floatToRawIntBits(row[c]);
                    // round to nearest even on the 16 bits dropped
                    dst.set(HALF, at + 2L * c, (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
                }
            }
            default -> randomBlocks(type, cols / type.blockSize(), dst, at, rnd);
        }
    }

    /** Random bytes for {@code blocks} blocks, then small positive scales in the scale fields. */
    private static void randomBlocks(DType type, int blocks, MemorySegment dst, long at, SplittableRandom rnd) {
        int[] halves = halfScaleOffsets(type);
        int[] floats = floatScaleOffsets(type);
        int bb = type.blockBytes();
        for (int b = 0; b < blocks; b++) {
            long base = at + (long) b * bb;
            for (int i = 0; i < bb; i++) {
                dst.set(ValueLayout.JAVA_BYTE, base + i, (byte) rnd.nextInt(256));
            }
            for (int off : halves) {
                dst.set(HALF, base + off, Float.floatToFloat16((float) (0.001 + 0.01 * rnd.nextDouble())));
            }
            for (int off : floats) {
                dst.set(FLOAT, base + off, (float) (0.5 + 2 * rnd.nextDouble()));
            }
        }
    }

    /**
     * Byte offsets within a block of the F16 scale fields of GGML's layout (ggml-common.h): d (and
     * m or dmin) lead the 32-blocks and Q4_K/Q5_K, and trail the quants in Q2_K, Q3_K and Q6_K.
     *
     * @throws IllegalArgumentException for types without such a table (floats, activation-only types)
     */
    static int[] halfScaleOffsets(DType type) {
        return switch (type) {
            case Q4_0, Q5_0, Q8_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};   // after 16 scale bytes and 64 bytes of quants
            case Q3_K -> new int[] {108};      // after 32 hmask + 64 quant + 12 scale bytes
            case Q6_K -> new int[] {208};      // after 128 low + 64 high bits + 16 int8 scales
            case NF4 -> new int[0];
            default -> throw new IllegalArgumentException("no random block layout for " + type);
        };
    }

    /** Byte offsets within a block of F32 scale fields (NF4's absmax). */
    static int[] floatScaleOffsets(DType type) {
        return type == DType.NF4 ? new int[] {0} : new int[0];
    }
}
