package dev.jllm.core.autograd;

import dev.jllm.core.ops.LaneSum;
import dev.jllm.core.ops.VectorExp;
import static dev.jllm.core.autograd.VectorMath.F;
import static dev.jllm.core.autograd.VectorMath.L;

import dev.jllm.core.linalg.Sgemm;
import dev.jllm.core.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Causal scaled dot-product self-attention with grouped-query heads and an optional sliding
 * window, over a batch of equal-length sequences laid out one after another in the rows.
 *
 * <p>Like FlashAttention, the forward saves only each query's log-sum-exp of scores; the
 * backward recomputes a block of probabilities from it, so memory beyond q, k, v and the output
 * is one float per query and head, and per thread two blocks of {@link #BLOCK} × sequence
 * floats. Work runs as one task per (sequence, head) forward and per (sequence, key-value head)
 * backward, the last owning the gradients of its keys and values, so no two tasks write the same
 * element and results do not depend on the thread count. Each task multiplies blocks with
 * {@link Sgemm} on its own thread; query blocks see only the keys their mask allows.
 */
public final class Attention {
    /** Queries per block. */
    static final int BLOCK = 64;
    /** Runs the per-task products on the task's thread. */
    private static final WorkerPool SERIAL = new WorkerPool(1);
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private Attention() {
    }

    /**
     * Attention over one sequence of all the rows, without a window: see
     * {@link #causal(Tape, Variable, Variable, Variable, int, int, int, int, int)}.
     */
    public static Variable causal(Tape tape, Variable q, Variable k, Variable v, int heads, int kvHeads, int headDim) {
        return causal(tape, q, k, v, heads, kvHeads, headDim, Math.max(1, q.rows()), 0);
    }

    /**
     * For each sequence of {@code seqLen} rows and each head h: softmax(q_h·k_gᵀ/√headDim + mask)·v_g
     * with g = h / (heads / kvHeads). Query i sees key j when j ≤ i and, if {@code window} is
     * positive, i − j &lt; window.
     *
     * @param q [n, heads·headDim]
     * @param k [n, kvHeads·headDim]
     * @param v [n, kvHeads·headDim]
     * @param seqLen rows per sequence; n must be a multiple
     * @param window keys a query sees at most (itself included), or 0 for all earlier keys
     * @return [n, heads·headDim]
     * @throws IllegalArgumentException if the shapes, head counts or sequence length disagree
     */
    public static Variable causal(Tape tape, Variable q, Variable k, Variable v, int heads, int kvHeads, int headDim,
                                  int seqLen, int window) {
        int n = q.rows();
        check(q, k, v, heads, kvHeads, headDim, seqLen, window);
        int sequences = n == 0 ? 0 : n / seqLen;
        Shape sh = new Shape(heads, kvHeads, headDim, seqLen, window);
        boolean grad = tape.needsGrad(q, k, v);
        Variable o = tape.output(grad, q.shape());
        float[] lse = tape.scratch(sequences * heads * seqLen);
        float[] qv = q.value();
        float[] kv = k.value();
        float[] vv = v.value();
        float[] ov = o.value();
        runTasks(tape, sequences * heads, (from, to) -> {
            for (int task = from; task < to; task++) {
                forward(sh, task / heads, task % heads, qv, kv, vv, ov, lse);
            }
        });
        if (grad) {
            tape.record(() -> {
                float[] go = o.grad();
                if (go == null) {
                    return;
                }
                float[] gq = q.requiresGrad() ? tape.gradOf(q) : null;
                float[] gk = k.requiresGrad() ? tape.gradOf(k) : null;
                float[] gv = v.requiresGrad() ? tape.gradOf(v) : null;
                runTasks(tape, sequences * kvHeads, (from, to) -> {
                    for (int task = from; task < to; task++) {
                        backward(sh, task / kvHeads, task % kvHeads, qv, kv, vv, ov, lse, go, gq, gk, gv);
                    }
                });
            });
        }
        return o;
    }

    /** The sizes of one attention call. */
    private record Shape(int heads, int kvHeads, int headDim, int seqLen, int window) {
        int qWidth() {
            return heads * headDim;
        }

        int kvWidth() {
            return kvHeads * headDim;
        }

        float scale() {
            return (float) (1 / Math.sqrt(headDim));
        }

        /** First key query i sees. */
        int firstKey(int i) {
            return window > 0 ? Math.max(0, i - window + 1) : 0;
        }
    }

    private static void forward(Shape sh, int b, int h, float[] q, float[] k, float[] v, float[] o, float[] lse) {
        int s = sh.seqLen();
        int d = sh.headDim();
        int g = h / (sh.heads() / sh.kvHeads());
        float[] scores = scratch(0, Math.min(BLOCK, s) * s);
        for (int i0 = 0; i0 < s; i0 += BLOCK) {
            int rows = Math.min(BLOCK, s - i0);
            int c0 = sh.firstKey(i0);
            int cols = i0 + rows - c0;
            int qOff = (b * s + i0) * sh.qWidth() + h * d;
            int kOff = (b * s + c0) * sh.kvWidth() + g * d;
            Sgemm.multiply(SERIAL, false, true, rows, cols, d, sh.scale(), q, qOff, sh.qWidth(), k, kOff, sh.kvWidth(),
                    0f, scores, 0, cols);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                lse[(b * sh.heads() + h) * s + i] = softmaxRow(scores, r * cols, cols, sh.firstKey(i) - c0, i - c0 + 1);
            }
            Sgemm.multiply(SERIAL, false, false, rows, d, cols, 1f, scores, 0, cols, v, kOff, sh.kvWidth(),
                    0f, o, qOff, sh.qWidth());
        }
    }

    private static void backward(Shape sh, int b, int g, float[] q, float[] k, float[] v, float[] o, float[] lse,
                                 float[] go, float[] gq, float[] gk, float[] gv) {
        int s = sh.seqLen();
        int d = sh.headDim();
        int group = sh.heads() / sh.kvHeads();
        float scale = sh.scale();
        float[] p = scratch(0, Math.min(BLOCK, s) * s);
        float[] ds = scratch(1, Math.min(BLOCK, s) * s);
        for (int h = g * group; h < (g + 1) * group; h++) {
            for (int i0 = 0; i0 < s; i0 += BLOCK) {
                int rows = Math.min(BLOCK, s - i0);
                int c0 = sh.firstKey(i0);
                int cols = i0 + rows - c0;
                int qOff = (b * s + i0) * sh.qWidth() + h * d;
                int kOff = (b * s + c0) * sh.kvWidth() + g * d;
                // P again from the saved log-sum-exp
                Sgemm.multiply(SERIAL, false, true, rows, cols, d, scale, q, qOff, sh.qWidth(), k, kOff,
                        sh.kvWidth(), 0f, p, 0, cols);
                for (int r = 0; r < rows; r++) {
                    int i = i0 + r;
                    probabilities(p, r * cols, cols, sh.firstKey(i) - c0, i - c0 + 1, lse[(b * sh.heads() + h) * s + i]);
                }
                if (gv != null) {
                    // dV += Pᵀ·dO
                    Sgemm.multiply(SERIAL, true, false, cols, d, rows, 1f, p, 0, cols, go, qOff, sh.qWidth(),
                            1f, gv, kOff, sh.kvWidth());
                }
                if (gq == null && gk == null) {
                    continue;
                }
                // dP = dO·Vᵀ, then dS = P∘(dP − rowsum(dO∘O)) in place
                Sgemm.multiply(SERIAL, false, true, rows, cols, d, 1f, go, qOff, sh.qWidth(), v, kOff, sh.kvWidth(),
                        0f, ds, 0, cols);
                for (int r = 0; r < rows; r++) {
                    int at = qOff + r * sh.qWidth();
                    float delta = VectorMath.dot(go, at, o, at, d);
                    scoreGradient(p, ds, r * cols, cols, delta);
                }
                if (gq != null) {
                    // dQ += scale·dS·K
                    Sgemm.multiply(SERIAL, false, false, rows, d, cols, scale, ds, 0, cols, k, kOff, sh.kvWidth(),
                            1f, gq, qOff, sh.qWidth());
                }
                if (gk != null) {
                    // dK += scale·dSᵀ·Q
                    Sgemm.multiply(SERIAL, true, false, cols, d, rows, scale, ds, 0, cols, q, qOff, sh.qWidth(),
                            1f, gk, kOff, sh.kvWidth());
                }
            }
        }
    }

    /** Softmax of x[o + lo .. o + hi) in place, zeros in the rest of [o, o + cols); returns its log-sum-exp. */
    private static float softmaxRow(float[] x, int o, int cols, int lo, int hi) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = lo; j < hi; j++) {
            max = Math.max(max, x[o + j]);
        }
        FloatVector sumV = FloatVector.zero(F);
        int j = lo;
        for (int bound = lo + F.loopBound(hi - lo); j < bound; j += L) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, x, o + j).sub(max));
            e.intoArray(x, o + j);
            sumV = sumV.add(e);
        }
        float sum = LaneSum.of(sumV);
        for (; j < hi; j++) {
            float e = VectorExp.exp(x[o + j] - max);
            x[o + j] = e;
            sum += e;
        }
        float inv = 1 / sum;
        java.util.Arrays.fill(x, o, o + lo, 0f);
        dev.jllm.core.ops.Elementwise.scale(x, o + lo, x, o + lo, inv, hi - lo);
        java.util.Arrays.fill(x, o + hi, o + cols, 0f);
        return max + (float) Math.log(sum);
    }

    /** x ← exp(x − lse) on [o + lo, o + hi), zeros in the rest of [o, o + cols). */
    private static void probabilities(float[] x, int o, int cols, int lo, int hi, float lse) {
        java.util.Arrays.fill(x, o, o + lo, 0f);
        int j = lo;
        for (int bound = lo + F.loopBound(hi - lo); j < bound; j += L) {
            VectorExp.exp(FloatVector.fromArray(F, x, o + j).sub(lse)).intoArray(x, o + j);
        }
        for (; j < hi; j++) {
            x[o + j] = VectorExp.exp(x[o + j] - lse);
        }
        java.util.Arrays.fill(x, o + hi, o + cols, 0f);
    }

    /** ds ← p∘(ds − delta) over one row (zero where p is). */
    private static void scoreGradient(float[] p, float[] ds, int o, int cols, float delta) {
        int j = 0;
        for (int bound = F.loopBound(cols); j < bound; j += L) {
            FloatVector.fromArray(F, ds, o + j).sub(delta).mul(FloatVector.fromArray(F, p, o + j)).intoArray(ds, o + j);
        }
        for (; j < cols; j++) {
            ds[o + j] = (ds[o + j] - delta) * p[o + j];
        }
    }

    private static float[] scratch(int which, int size) {
        float[][] buffers = SCRATCH.get();
        if (buffers[which].length < size) {
            buffers[which] = new float[size];
        }
        return buffers[which];
    }

    private static void runTasks(Tape tape, int tasks, WorkerPool.RangeTask body) {
        if (tasks == 1 || tape.pool().threads() == 1) {
            body.run(0, tasks);
        } else if (tasks > 1) {
            tape.pool().parallelForDynamic(tasks, 1, body);
        }
    }

    private static void check(Variable q, Variable k, Variable v, int heads, int kvHeads, int headDim, int seqLen,
                              int window) {
        if (heads <= 0 || kvHeads <= 0 || headDim <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention needs positive head counts with kvHeads dividing heads, got "
                    + heads + " heads, " + kvHeads + " key-value heads of " + headDim);
        }
        if (q.cols() != heads * headDim || k.cols() != kvHeads * headDim || v.cols() != kvHeads * headDim) {
            throw new IllegalArgumentException("attention of " + heads + "/" + kvHeads + " heads × " + headDim
                    + " needs q [n, " + heads * headDim + "] and k, v [n, " + kvHeads * headDim + "], got " + q + ", "
                    + k + ", " + v);
        }
        if (k.rows() != q.rows() || v.rows() != q.rows()) {
            throw new IllegalArgumentException("attention needs as many key and value rows as queries, got " + q + ", "
                    + k + ", " + v);
        }
        if (seqLen <= 0 || q.rows() % seqLen != 0) {
            throw new IllegalArgumentException("attention over " + q.rows() + " rows cannot be split into sequences of "
                    + seqLen);
        }
        if (window < 0) {
            throw new IllegalArgumentException("negative attention window " + window);
        }
    }
}
