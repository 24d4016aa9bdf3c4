package dev.jllm.core.quant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * The kernels of one weight type: dequantize and dot product against activations.
 *
 * <p>Every type has two implementations of this interface: a SIMD one (Vector API) used at run
 * time and a plain scalar reference that tests hold it to. Weights are read in place from a
 * {@link MemorySegment} at a byte offset; element counts are whole blocks of the type.
 */
public interface WeightKernel {

    /** The weight type these kernels read. */
    DType type();

    /**
     * Dequantizes {@code count} elements (a multiple of the block size) stored at byte
     * {@code offset} of {@code src} into {@code dst[dstOffset .. dstOffset + count)}.
     */
    void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count);

    /**
     * Returns Σ w[i]·x[xOffset + i] for the {@code count} weights stored at byte {@code offset}
     * of {@code w} ({@code count} a multiple of the block size).
     */
    float dot(MemorySegment w, long offset, float[] x, int xOffset, int count);

    /**
     * Several rows against one x: {@code y[yOffset + r] = dot(w, offset + r·rowBytes, x, xOffset, count)}
     * for r in [0, rows). Kernels override it to share each activation load across rows (a GEMV's
     * hot loop) and say so through {@link #rowsPerPass}; the default calls {@link #dot} row by row.
     */
    default void dotRows(MemorySegment w, long offset, long rowBytes, int rows,
                         float[] x, int xOffset, int count, float[] y, int yOffset) {
        for (int r = 0; r < rows; r++) {
            y[yOffset + r] = dot(w, offset + r * rowBytes, x, xOffset, count);
        }
    }

    /**
     * How many rows {@link #dotRows} computes per pass; 1 (the default) when it is the row-by-row
     * loop. GEMV drivers call {@link #dot} themselves for such kernels: the default loop, shared by
     * every kernel, sees several kernel classes at its call to {@link #dot}, and C2 may compile it
     * with two kernels' dot products inlined.
     */
    default int rowsPerPass() {
        return 1;
    }

    /**
     * The activation type {@link #dotQuantized} takes ({@link DType#Q8_0}, {@link DType#Q8_1} or
     * {@link DType#Q8_K}), or null when {@link #dot} on F32 activations is this type's fast path.
     */
    default DType activationType() {
        return null;
    }

    /**
     * Returns Σ w[i]·x[xOffset + i] with activations quantized to {@link #activationType()}.
     * {@code xOffset} and {@code count} are multiples of the activation block size.
     *
     * @throws UnsupportedOperationException if {@link #activationType()} is null
     */
    default float dotQuantized(MemorySegment w, long offset, QuantizedActivations x, int xOffset, int count) {
        throw new UnsupportedOperationException(type() + " has no quantized-activation dot product");
    }
}
