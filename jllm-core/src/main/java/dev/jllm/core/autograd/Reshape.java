package dev.jllm.core.autograd;

import java.util.Arrays;

/** The same values under another shape (e.g. [n, heads·d] as [n·heads, d] for a per-head norm). */
public final class Reshape {
    private Reshape() {
    }

    /**
     * x's values, row-major order kept, as a variable of {@code shape}; the gradient flows back unchanged.
     *
     * @throws IllegalArgumentException if the shape holds another number of elements
     */
    public static Variable of(Tape tape, Variable x, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n != x.size()) {
            throw new IllegalArgumentException("cannot reshape " + x + " to " + Arrays.toString(shape));
        }
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, shape);
        System.arraycopy(x.value(), 0, y.value(), 0, x.size());
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy != null) {
                    VectorMath.addInto(gy, 0, tape.gradOf(x), 0, x.size());
                }
            });
        }
        return y;
    }
}
