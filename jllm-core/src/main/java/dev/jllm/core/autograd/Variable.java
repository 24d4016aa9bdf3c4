package dev.jllm.core.autograd;

import java.util.Arrays;

/**
 * A value in an autograd computation: a row-major {@code float[]} with a shape, and the gradient
 * of a loss with respect to it once {@link Tape#backward} has run.
 *
 * <p>Three kinds exist. A {@linkplain #parameter parameter} requires a gradient and owns both of
 * its arrays; its gradient accumulates (+=) over backward passes until {@link #zeroGrad()}, which
 * is how gradient accumulation over micro-batches works. A {@linkplain #constant constant} never
 * has a gradient. An op's output is made by a {@link Tape}: it requires a gradient when the tape
 * records and any input does, and its arrays belong to the tape, valid until {@link Tape#clear()}
 * (which hands them to the next step and detaches them from this variable). An op output's
 * gradient is working memory of the backward pass (ops may hand it on to their inputs), so
 * only parameters' gradients are meaningful once backward has finished.
 *
 * <p>Ops treat the last dimension as the row and all others as rows: a [B, T, D] activation is
 * B·T rows of D.
 */
public final class Variable {
    private final int[] shape;
    private final int size;
    private final boolean requiresGrad;
    private final boolean temporary;
    private float[] value;
    private float[] grad;

    Variable(float[] value, int[] shape, boolean requiresGrad, boolean temporary) {
        this.shape = shape.clone();
        this.size = checkedSize(this.shape);
        if (value.length != size) {
            throw new IllegalArgumentException("a variable of shape " + Arrays.toString(shape) + " needs " + size
                    + " values, got " + value.length);
        }
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.temporary = temporary;
    }

    /**
     * A trainable variable over {@code value} (not copied: an optimizer updates it in place).
     *
     * @throws IllegalArgumentException if the shape has a negative dimension or does not match
     *     the array's length
     */
    public static Variable parameter(float[] value, int... shape) {
        return new Variable(value, shape, true, false);
    }

    /**
     * A variable that never has a gradient (inputs, frozen weights), over {@code value} (not
     * copied).
     *
     * @throws IllegalArgumentException as {@link #parameter}
     */
    public static Variable constant(float[] value, int... shape) {
        return new Variable(value, shape, false, false);
    }

    /** A zero-filled parameter of {@code shape}. */
    public static Variable zeros(int... shape) {
        return parameter(new float[checkedSize(shape)], shape);
    }

    private static int checkedSize(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " exceeds a float[]");
            }
        }
        return (int) n;
    }

    /**
     * The values, row-major. Mutable: optimizers update parameters in place.
     *
     * @throws IllegalStateException if this is an op's output whose tape has been cleared since
     */
    public float[] value() {
        if (value == null) {
            throw new IllegalStateException("this op output's arrays went back to its tape at clear()");
        }
        return value;
    }

    /** The single value of a one-element variable (a loss). */
    public float item() {
        if (size != 1) {
            throw new IllegalStateException("item() of a variable of shape " + Arrays.toString(shape));
        }
        return value()[0];
    }

    /** The gradient, or null before one has flowed here (always null when no gradient is required). */
    public float[] grad() {
        return grad;
    }

    /** Sets the gradient to zero (keeping the array) for the next accumulation. */
    public void zeroGrad() {
        if (grad != null) {
            Arrays.fill(grad, 0f);
        }
    }

    /** Whether backward computes a gradient for this variable. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative i counts from the end. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** Number of elements. */
    public int size() {
        return size;
    }

    /** Length of a row: the last dimension (1 for a scalar). */
    public int cols() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** Number of rows: the size over the row length (0 when a row is empty). */
    public int rows() {
        int c = cols();
        return c == 0 ? 0 : size / c;
    }

    /** The gradient array, allocated zeroed on first use (by the tape for its own outputs). */
    float[] gradForAccumulation(Workspace workspace) {
        if (grad == null) {
            grad = temporary ? workspace.zeroed(size) : new float[size];
        }
        return grad;
    }

    /** Takes {@code g} as the gradient if this is an op output that requires one and has none yet. */
    boolean adoptGrad(float[] g) {
        if (!temporary || !requiresGrad || grad != null || g.length != size) {
            return false;
        }
        grad = g;
        return true;
    }

    /** Cuts an op output off its arrays once the tape reuses them. */
    void detach() {
        value = null;
        grad = null;
    }

    @Override
    public String toString() {
        String kind = temporary ? "output" : requiresGrad ? "parameter" : "constant";
        return kind + Arrays.toString(shape);
    }
}
