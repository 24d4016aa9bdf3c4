package dev.jllm.core.autograd;

import dev.jllm.core.linalg.MatMul;
import dev.jllm.core.linalg.Sgemm;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Matrix products: the general {@code op(A)·op(B)} with transposes, and the layer form
 * {@code Y = X·Wᵀ} with W a trainable {@link Variable} or a frozen {@link Tensor} of any weight
 * type (quantized base weights under LoRA adapters: QLoRA).
 *
 * <p>Every product forward and backward is one {@link Sgemm} call that reads transposed operands
 * in place (no copies) and adds gradients with beta = 1.
 */
public final class Linear {
    /**
     * Weight rows dequantized at a time for the backward of a frozen weight: Sgemm's panel depth
     * (Sgemm.KC), so dX sums in the same order as the dense product with the dequantized weight.
     */
    private static final int FROZEN_PANEL_ROWS = 256;

    private Linear() {
    }

    /**
     * {@code C = op(A)·op(B)} for two matrices, op(X) being X or Xᵀ: A is [m, k] (stored [k, m]
     * when transposed), B is [k, n] (stored [n, k] when transposed), C is [m, n].
     *
     * @throws IllegalArgumentException if an operand is not two-dimensional or the inner sizes differ
     */
    public static Variable matmul(Tape tape, Variable a, Variable b, boolean transA, boolean transB) {
        if (a.rank() != 2 || b.rank() != 2) {
            throw new IllegalArgumentException("matmul needs matrices, got " + a + " and " + b);
        }
        int m = transA ? a.dim(1) : a.dim(0);
        int k = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0);
        int n = transB ? b.dim(0) : b.dim(1);
        if (k != kb) {
            throw new IllegalArgumentException("matmul of " + a + (transA ? "ᵀ" : "") + " and " + b
                    + (transB ? "ᵀ" : "") + ": inner sizes " + k + " and " + kb + " differ");
        }
        return product(tape, a, b, transA, transB, m, n, k, new int[] {m, n});
    }

    /**
     * {@code Y = X·Wᵀ}: x is [..., k] (all leading dimensions are rows), w is [m, k], y is [..., m].
     *
     * @throws IllegalArgumentException if w is not [m, k] for x's row length k
     */
    public static Variable linear(Tape tape, Variable x, Variable w) {
        if (w.rank() != 2 || w.dim(1) != x.cols()) {
            throw new IllegalArgumentException("linear of " + x + " needs a weight [m, " + x.cols() + "], got " + w);
        }
        return product(tape, x, w, false, true, x.rows(), w.dim(0), x.cols(), rowShape(x, w.dim(0)));
    }

    /**
     * {@code Y = X·Wᵀ} with a frozen weight of any type, read in place: W gets no gradient, X gets
     * dX = dY·W computed from W's rows dequantized a panel at a time.
     *
     * @throws IllegalArgumentException if W's row length differs from x's, or no kernels exist for
     *     its type
     */
    public static Variable linear(Tape tape, Variable x, Tensor w) {
        if (w.cols() != x.cols() || w.rows() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("linear of " + x + " needs a weight [m, " + x.cols() + "], got " + w);
        }
        WeightKernel kernel = WeightKernels.simd(w.type());
        int n = x.rows();
        int m = (int) w.rows();
        int k = x.cols();
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, rowShape(x, m));
        MatMul.multiplyPacked(tape.pool(), kernel, w, x.value(), 0, n, y.value(), 0);
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy == null || n == 0) {
                    return;
                }
                float[] gx = tape.gradOf(x);
                int panelRows = Math.min(FROZEN_PANEL_ROWS, m);
                float[] panel = tape.scratch(panelRows * k);
                for (int r0 = 0; r0 < m; r0 += panelRows) {
                    int rows = Math.min(panelRows, m - r0);
                    dequantizeRows(tape, kernel, w, r0, rows, k, panel);
                    // dX += dY[:, r0 .. r0+rows) · W[r0 .. r0+rows)
                    Sgemm.multiply(tape.pool(), false, false, n, k, rows, 1f, gy, r0, m, panel, 0, k,
                            1f, gx, 0, k);
                }
            });
        }
        return y;
    }

    private static void dequantizeRows(Tape tape, WeightKernel kernel, Tensor w, int r0, int rows, int k,
                                       float[] panel) {
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        tape.parallel(rows, k, (from, to) -> {
            for (int r = from; r < to; r++) {
                kernel.dequantize(data, (r0 + r) * rowBytes, panel, r * k, k);
            }
        });
    }

    private static Variable product(Tape tape, Variable a, Variable b, boolean transA, boolean transB,
                                    int m, int n, int k, int[] shape) {
        boolean grad = tape.needsGrad(a, b);
        Variable c = tape.output(grad, shape);
        WorkerPool pool = tape.pool();
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        Sgemm.multiply(pool, transA, transB, m, n, k, 1f, a.value(), 0, lda, b.value(), 0, ldb, 0f, c.value(), 0, n);
        if (grad) {
            tape.record(() -> {
                float[] gc = c.grad();
                if (gc == null) {
                    return;
                }
                if (a.requiresGrad()) {
                    float[] ga = tape.gradOf(a);
                    if (!transA) {
                        // dA [m, k] += dC · op(B)ᵀ
                        Sgemm.multiply(pool, false, !transB, m, k, n, 1f, gc, 0, n, b.value(), 0, ldb,
                                1f, ga, 0, k);
                    } else {
                        // dA stored [k, m] += op(B) · dCᵀ
                        Sgemm.multiply(pool, transB, true, k, m, n, 1f, b.value(), 0, ldb, gc, 0, n,
                                1f, ga, 0, m);
                    }
                }
                if (b.requiresGrad()) {
                    float[] gb = tape.gradOf(b);
                    if (!transB) {
                        // dB [k, n] += op(A)ᵀ · dC
                        Sgemm.multiply(pool, !transA, false, k, n, m, 1f, a.value(), 0, lda, gc, 0, n,
                                1f, gb, 0, n);
                    } else {
                        // dB stored [n, k] += dCᵀ · op(A)
                        Sgemm.multiply(pool, true, transA, n, k, m, 1f, gc, 0, n, a.value(), 0, lda,
                                1f, gb, 0, k);
                    }
                }
            });
        }
        return c;
    }

    /** x's shape with the last dimension replaced by {@code cols}. */
    static int[] rowShape(Variable x, int cols) {
        int[] s = x.shape();
        if (s.length == 0) {
            throw new IllegalArgumentException("a scalar has no rows");
        }
        int[] out = Arrays.copyOf(s, s.length);
        out[out.length - 1] = cols;
        return out;
    }
}
