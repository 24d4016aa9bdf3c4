package dev.jllm.train.optim;

import java.util.Objects;

/**
 * A trainable tensor as the optimizers see it: a unique name, its F32 values (the master
 * weights), a gradient of the same length, and whether weight decay applies to it.
 *
 * <p>The arrays are shared, not copied: the model reads {@link #value()}, backward adds into
 * {@link #grad()}, and the optimizer updates {@link #value()} in place. The name keys the
 * optimizer's per-parameter state, so it must be stable across runs for resume to work.
 *
 * @param name   unique, stable name (for example {@code blk.0.attn_q.weight})
 * @param value  the weights, updated in place
 * @param grad   the gradient, same length as {@code value}
 * @param decay  whether weight decay applies (see {@link WeightDecayRule})
 */
public record Parameter(String name, float[] value, float[] grad, boolean decay) {

    /**
     * @throws IllegalArgumentException if the name is empty or the lengths differ
     */
    public Parameter {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(grad, "grad");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("parameter name must not be empty");
        }
        if (value.length != grad.length) {
            throw new IllegalArgumentException("parameter " + name + ": gradient has " + grad.length
                    + " elements but the value has " + value.length);
        }
    }

    /** A parameter with a fresh zero gradient. */
    public static Parameter of(String name, float[] value, boolean decay) {
        return new Parameter(name, value, new float[value.length], decay);
    }

    /** Number of elements. */
    public int size() {
        return value.length;
    }

    @Override
    public String toString() {
        return "Parameter[" + name + ", " + value.length + " elements" + (decay ? ", decay" : "") + "]";
    }
}
