package dev.jllm.core.autograd;

/**
 * Column ranges of row-major variables: slicing one out (the query, key and value of a fused QKV
 * projection, as GPT-2's {@code c_attn}) and concatenating several side by side.
 */
public final class Columns {
    private Columns() {
    }

    /**
     * Columns {@code [from, to)} of every row of x, as a [..., to − from] variable.
     *
     * @throws IllegalArgumentException if the range is empty or outside x's rows
     */
    public static Variable slice(Tape tape, Variable x, int from, int to) {
        int cols = x.cols();
        if (x.rank() == 0 || from < 0 || to > cols || from >= to) {
            throw new IllegalArgumentException("cannot slice columns [" + from + ", " + to + ") of " + x);
        }
        int n = x.rows();
        int width = to - from;
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, Linear.rowShape(x, width));
        float[] xv = x.value();
        float[] yv = y.value();
        tape.parallel(n, width, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                System.arraycopy(xv, r * cols + from, yv, r * width, width);
            }
        });
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy == null) {
                    return;
                }
                float[] gx = tape.gradOf(x);
                tape.parallel(n, width, (r0, r1) -> {
                    for (int r = r0; r < r1; r++) {
                        VectorMath.addInto(gy, r * width, gx, r * cols + from, width);
                    }
                });
            });
        }
        return y;
    }

    /**
     * The rows of the parts side by side: [..., Σ widths], the parts' leading shapes alike.
     *
     * @throws IllegalArgumentException if there are no parts or their row counts differ
     */
    public static Variable concat(Tape tape, Variable... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("concat needs at least one part");
        }
        int n = parts[0].rows();
        int total = 0;
        int[] offsets = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].rank() == 0 || parts[i].rows() != n || parts[i].rank() != parts[0].rank()) {
                throw new IllegalArgumentException("concat of " + parts[0] + " and " + parts[i] + ": rows differ");
            }
            offsets[i] = total;
            total += parts[i].cols();
        }
        int cols = total;
        boolean grad = tape.needsGrad(parts);
        Variable y = tape.output(grad, Linear.rowShape(parts[0], cols));
        float[] yv = y.value();
        Variable[] p = parts.clone();
        tape.parallel(n, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                for (int i = 0; i < p.length; i++) {
                    int w = p[i].cols();
                    System.arraycopy(p[i].value(), r * w, yv, r * cols + offsets[i], w);
                }
            }
        });
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy == null) {
                    return;
                }
                for (int i = 0; i < p.length; i++) {
                    if (!p[i].requiresGrad()) {
                        continue;
                    }
                    float[] gp = tape.gradOf(p[i]);
                    int w = p[i].cols();
                    int o = offsets[i];
                    tape.parallel(n, w, (r0, r1) -> {
                        for (int r = r0; r < r1; r++) {
                            VectorMath.addInto(gy, r * cols + o, gp, r * w, w);
                        }
                    });
                }
            });
        }
        return y;
    }
}
