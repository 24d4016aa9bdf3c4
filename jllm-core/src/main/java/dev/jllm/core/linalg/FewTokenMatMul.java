package dev.jllm.core.linalg;

import dev.jllm.core.ops.LaneSum;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code Y = X·Wᵀ} for a few tokens (a batched decode step of several sequences): each thread
 * dequantizes four weight rows at a time into a small float buffer that stays in cache, then takes
 * their dot products with every token, reading each token's activations once per four rows. Every
 * weight is decoded once per call, as in a GEMV, and the n dot products after it run from cache; the
 * packed GEMM of {@link MatMul} pays a transpose and two dispatches per panel that only larger
 * batches repay.
 */
final class FewTokenMatMul {
    /** Token counts up to this take this path. */
    static final int MAX_TOKENS = 16;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int ROWS = 4;
    private static final ThreadLocal<float[]> ROW_BUFFER = ThreadLocal.withInitial(() -> new float[0]);

    private FewTokenMatMul() {
    }

    static void multiply(WorkerPool pool, WeightKernel kernel, Tensor w, float[] x, int xOffset, int n, float[] y,
            int yOffset) {
        int rows = (int) w.rows();
        int cols = (int) w.cols();
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        int groups = (rows + ROWS - 1) / ROWS;
        pool.parallelFor(groups, (from, to) -> {
            float[] buf = buffer(ROWS * cols);
            for (int g = from; g < to; g++) {
                int r0 = g * ROWS;
                int nr = Math.min(ROWS, rows - r0);
                for (int i = 0; i < nr; i++) {
                    kernel.dequantize(data, (r0 + i) * rowBytes, buf, i * cols, cols);
                }
                for (int t = 0; t < n; t++) {
                    int xb = xOffset + t * cols;
                    int yb = yOffset + t * rows + r0;
                    if (nr == ROWS) {
                        dot4(buf, cols, x, xb, y, yb);
                    } else {
                        for (int i = 0; i < nr; i++) {
                            y[yb + i] = dot(buf, i * cols, x, xb, cols);
                        }
                    }
                }
            }
        });
    }

    /** Four rows of {@code buf} (each {@code cols} long) against one token's activations. */
    private static void dot4(float[] buf, int cols, float[] x, int xb, float[] y, int yb) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(cols); c < bound; c += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, x, xb + c);
            a0 = FloatVector.fromArray(F, buf, c).fma(xv, a0);
            a1 = FloatVector.fromArray(F, buf, cols + c).fma(xv, a1);
            a2 = FloatVector.fromArray(F, buf, 2 * cols + c).fma(xv, a2);
            a3 = FloatVector.fromArray(F, buf, 3 * cols + c).fma(xv, a3);
        }
        float s0 = LaneSum.of(a0);
        float s1 = LaneSum.of(a1);
        float s2 = LaneSum.of(a2);
        float s3 = LaneSum.of(a3);
        for (; c < cols; c++) {
            float xv = x[xb + c];
            s0 += buf[c] * xv;
            s1 += buf[cols + c] * xv;
            s2 += buf[2 * cols + c] * xv;
            s3 += buf[3 * cols + c] * xv;
        }
        y[yb] = s0;
        y[yb + 1] = s1;
        y[yb + 2] = s2;
        y[yb + 3] = s3;
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int len) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(len); c < bound; c += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + c).fma(FloatVector.fromArray(F, b, bo + c), acc);
        }
        float s = LaneSum.of(acc);
        for (; c < len; c++) {
            s += a[ao + c] * b[bo + c];
        }
        return s;
    }

    private static float[] buffer(int size) {
        float[] b = ROW_BUFFER.get();
        if (b.length < size) {
            b = new float[size];
            ROW_BUFFER.set(b);
        }
        return b;
    }
}
