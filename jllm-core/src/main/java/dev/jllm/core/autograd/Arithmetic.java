package dev.jllm.core.autograd;

import dev.jllm.core.ops.Elementwise;

/**
 * Element-wise sum, product and scaling. The second operand of {@link #add} and {@link #mul} may
 * be a row vector (as many elements as the first has columns), broadcast over every row: biases,
 * per-channel gains.
 */
public final class Arithmetic {
    /** Columns per task of a broadcast operand's gradient (a sum over rows, owned per task). */
    private static final int COLUMN_BLOCK = 64;
    /** Elements per task of element-wise loops. */
    private static final int CHUNK = 4096;

    private Arithmetic() {
    }

    /**
     * {@code a + b}, with b of a's size or a row vector broadcast over a's rows.
     *
     * @throws IllegalArgumentException if b is neither
     */
    public static Variable add(Tape tape, Variable a, Variable b) {
        return binary(tape, a, b, false);
    }

    /**
     * {@code a ∘ b} (element-wise product), with b of a's size or a row vector broadcast over a's rows.
     *
     * @throws IllegalArgumentException if b is neither
     */
    public static Variable mul(Tape tape, Variable a, Variable b) {
        return binary(tape, a, b, true);
    }

    /** {@code s · x} for a constant s. */
    public static Variable scale(Tape tape, Variable x, float s) {
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, x.shape());
        int n = x.size();
        float[] xv = x.value();
        float[] yv = y.value();
        chunks(tape, n, (from, to) -> Elementwise.scale(yv, from, xv, from, s, to - from));
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy != null) {
                    float[] gx = tape.gradOf(x);
                    chunks(tape, n, (from, to) -> VectorMath.scaleAddInto(s, gy, from, gx, from, to - from));
                }
            });
        }
        return y;
    }

    private static Variable binary(Tape tape, Variable a, Variable b, boolean product) {
        int n = a.size();
        boolean broadcast;
        if (java.util.Arrays.equals(a.shape(), b.shape())) {
            broadcast = false;
        } else if (a.rank() >= 1 && b.size() == a.cols() && b.size() == b.cols()) {
            broadcast = true;
        } else {
            throw new IllegalArgumentException((product ? "mul" : "add") + " of " + a + " and " + b
                    + ": the second operand must match the first or be one row of it");
        }
        int cols = broadcast ? a.cols() : n;
        int rows = broadcast ? a.rows() : 1;
        boolean grad = tape.needsGrad(a, b);
        Variable y = tape.output(grad, a.shape());
        float[] av = a.value();
        float[] bv = b.value();
        float[] yv = y.value();
        if (broadcast) {
            tape.parallel(rows, cols, (from, to) -> {
                for (int r = from; r < to; r++) {
                    if (product) {
                        Elementwise.mul(yv, r * cols, av, r * cols, bv, 0, cols);
                    } else {
                        Elementwise.add(yv, r * cols, av, r * cols, bv, 0, cols);
                    }
                }
            });
        } else {
            chunks(tape, n, (from, to) -> {
                if (product) {
                    Elementwise.mul(yv, from, av, from, bv, from, to - from);
                } else {
                    Elementwise.add(yv, from, av, from, bv, from, to - from);
                }
            });
        }
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy == null) {
                    return;
                }
                // a sum passes its gradient on unchanged: the first input without one takes the array itself
                boolean aDone = !product && a.requiresGrad() && tape.handOverGrad(a, gy);
                boolean bDone = !aDone && !product && !broadcast && b.requiresGrad() && tape.handOverGrad(b, gy);
                if (a.requiresGrad() && !aDone) {
                    float[] ga = tape.gradOf(a);
                    if (!product) {
                        chunks(tape, n, (from, to) -> VectorMath.addInto(gy, from, ga, from, to - from));
                    } else if (broadcast) {
                        tape.parallel(rows, cols, (from, to) -> {
                            for (int r = from; r < to; r++) {
                                VectorMath.mulAddInto(gy, r * cols, bv, 0, ga, r * cols, cols);
                            }
                        });
                    } else {
                        chunks(tape, n, (from, to) -> VectorMath.mulAddInto(gy, from, bv, from, ga, from, to - from));
                    }
                }
                if (b.requiresGrad() && !bDone) {
                    float[] gb = tape.gradOf(b);
                    if (broadcast) {
                        columnSums(tape, gy, product ? av : null, rows, cols, gb);
                    } else if (product) {
                        chunks(tape, n, (from, to) -> VectorMath.mulAddInto(gy, from, av, from, gb, from, to - from));
                    } else {
                        chunks(tape, n, (from, to) -> VectorMath.addInto(gy, from, gb, from, to - from));
                    }
                }
            });
        }
        return y;
    }

    /**
     * out[c] += Σ_r g[r][c] · (x == null ? 1 : x[r][c]), summed in order of r by tasks that own
     * column blocks: the same result at any thread count.
     */
    static void columnSums(Tape tape, float[] g, float[] x, int rows, int cols, float[] out) {
        int blocks = (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        tape.parallel(blocks, rows * COLUMN_BLOCK, (from, to) -> {
            int c0 = from * COLUMN_BLOCK;
            int len = Math.min(cols, to * COLUMN_BLOCK) - c0;
            for (int r = 0; r < rows; r++) {
                if (x == null) {
                    VectorMath.addInto(g, r * cols + c0, out, c0, len);
                } else {
                    VectorMath.mulAddInto(g, r * cols + c0, x, r * cols + c0, out, c0, len);
                }
            }
        });
    }

    /** Runs an element-wise loop over [0, n) in fixed chunks. */
    static void chunks(Tape tape, int n, dev.jllm.core.parallel.WorkerPool.RangeTask body) {
        int count = (n + CHUNK - 1) / CHUNK;
        tape.parallel(count, CHUNK, (from, to) -> body.run(from * CHUNK, Math.min(n, to * CHUNK)));
    }
}
