package dev.jllm.core.linalg;

import dev.jllm.core.ops.LaneFold;
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
    /** Token counts from this ... */
    static final int MIN_TOKENS = 4;
    /** ... up to this take this path: on the 2-vCPU VM it beats the packed GEMM by 1.2–1.6× up to 32 tokens, not at 48. */
    static final int MAX_TOKENS = 32;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int ROWS = 4;
    /** Where in a lane buffer the sixteen sums of {@link LaneFold#sums16} go, after the sixteen vectors. */
    private static final int SUMS = 16 * F.length();
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[SUMS + 16]);
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
        // claimed in chunks as workers go: in a server the HTTP threads share the cores, and a static half each
        // would leave one worker waiting on the other whenever they interrupt it
        int grain = Math.max(1, groups / (pool.threads() * 16));
        pool.parallelForDynamic(groups, grain, (from, to) -> {
            float[] buf = buffer(ROWS * cols);
            // looked up once per chunk: a ThreadLocal per four rows cost more than their dot products
            float[] lanes = LANES.get();
                for (int g = from; g < to; g++) {
                int r0 = g * ROWS;
                int nr = Math.min(ROWS, rows - r0);
                for (int i = 0; i < nr; i++) {
                    kernel.dequantize(data, (r0 + i) * rowBytes, buf, i * cols, cols);
                }
                int t = 0;
                if (nr == ROWS) {
                    for (; t + 4 <= n; t += 4) {
                        dot4x4(buf, cols, x, xOffset + t * cols, y, yOffset + t * rows + r0, rows, lanes);
                    }
                }
                for (; t < n; t++) {
                    int xb = xOffset + t * cols;
                    int yb = yOffset + t * rows + r0;
                    if (nr == ROWS) {
                        dot4(buf, cols, x, xb, y, yb, lanes);
                    } else {
                        for (int i = 0; i < nr; i++) {
                            y[yb + i] = dot(buf, i * cols, x, xb, cols);
                        }
                    }
                }
            }
        });
    }

    /**
     * Four rows of {@code buf} against four tokens' activations (token j at {@code xb + j·cols}), into
     * {@code y[yb + j·rows + i]}: sixteen accumulators, so each loaded weight and activation vector feeds
     * four FMAs.
     */
    private static void dot4x4(float[] buf, int cols, float[] x, int xb, float[] y, int yb, int rows,
            float[] lanes) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = FloatVector.zero(F);
        FloatVector a02 = FloatVector.zero(F);
        FloatVector a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F);
        FloatVector a11 = FloatVector.zero(F);
        FloatVector a12 = FloatVector.zero(F);
        FloatVector a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F);
        FloatVector a21 = FloatVector.zero(F);
        FloatVector a22 = FloatVector.zero(F);
        FloatVector a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F);
        FloatVector a31 = FloatVector.zero(F);
        FloatVector a32 = FloatVector.zero(F);
        FloatVector a33 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(cols); c < bound; c += F.length()) {
            FloatVector w0 = FloatVector.fromArray(F, buf, c);
            FloatVector w1 = FloatVector.fromArray(F, buf, cols + c);
            FloatVector w2 = FloatVector.fromArray(F, buf, 2 * cols + c);
            FloatVector w3 = FloatVector.fromArray(F, buf, 3 * cols + c);
            FloatVector x0 = FloatVector.fromArray(F, x, xb + c);
            a00 = w0.fma(x0, a00);
            a01 = w1.fma(x0, a01);
            a02 = w2.fma(x0, a02);
            a03 = w3.fma(x0, a03);
            FloatVector x1 = FloatVector.fromArray(F, x, xb + cols + c);
            a10 = w0.fma(x1, a10);
            a11 = w1.fma(x1, a11);
            a12 = w2.fma(x1, a12);
            a13 = w3.fma(x1, a13);
            FloatVector x2 = FloatVector.fromArray(F, x, xb + 2 * cols + c);
            a20 = w0.fma(x2, a20);
            a21 = w1.fma(x2, a21);
            a22 = w2.fma(x2, a22);
            a23 = w3.fma(x2, a23);
            FloatVector x3 = FloatVector.fromArray(F, x, xb + 3 * cols + c);
            a30 = w0.fma(x3, a30);
            a31 = w1.fma(x3, a31);
            a32 = w2.fma(x3, a32);
            a33 = w3.fma(x3, a33);
        }
        int l = F.length();
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, l);
        a02.intoArray(lanes, 2 * l);
        a03.intoArray(lanes, 3 * l);
        a10.intoArray(lanes, 4 * l);
        a11.intoArray(lanes, 5 * l);
        a12.intoArray(lanes, 6 * l);
        a13.intoArray(lanes, 7 * l);
        a20.intoArray(lanes, 8 * l);
        a21.intoArray(lanes, 9 * l);
        a22.intoArray(lanes, 10 * l);
        a23.intoArray(lanes, 11 * l);
        a30.intoArray(lanes, 12 * l);
        a31.intoArray(lanes, 13 * l);
        a32.intoArray(lanes, 14 * l);
        a33.intoArray(lanes, 15 * l);
        if (l == 16) {
            // one tree of folds sums all sixteen, four times fewer operations than lane by lane
            LaneFold.sums16(lanes, 0, lanes, SUMS);
        }
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < 4; i++) {
                float s = l == 16 ? lanes[SUMS + 4 * j + i] : sum(lanes, (4 * j + i) * l);
                for (int k = c; k < cols; k++) {
                    s += buf[i * cols + k] * x[xb + j * cols + k];
                }
                y[yb + j * rows + i] = s;
            }
        }
    }

    /** Four rows of {@code buf} (each {@code cols} long) against one token's activations. */
    private static void dot4(float[] buf, int cols, float[] x, int xb, float[] y, int yb, float[] lanes) {
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
        // one add tree over the four accumulators' lanes at once: four lane sums cost one
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, F.length());
        a2.intoArray(lanes, 2 * F.length());
        a3.intoArray(lanes, 3 * F.length());
        float s0 = sum(lanes, 0);
        float s1 = sum(lanes, F.length());
        float s2 = sum(lanes, 2 * F.length());
        float s3 = sum(lanes, 3 * F.length());
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

    /** The lanes stored at {@code at}, added in a fixed order. */
    private static float sum(float[] lanes, int at) {
        float s = 0;
        for (int i = 0; i < F.length(); i++) {
            s += lanes[at + i];
        }
        return s;
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
