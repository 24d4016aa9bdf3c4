package dev.jllm.train.optim;

import java.util.Arrays;
import java.util.List;

/**
 * Updates parameters in place from their gradients.
 *
 * <p>Per-parameter state is keyed by {@link Parameter#name()} and created (zero) the first time
 * a name is seen. The step count is global: every call of {@link #step} advances it by one, and
 * a schedule is usually asked for {@code lr(steps())} just before the call.
 */
public interface Optimizer {

    /**
     * Takes one step: updates every parameter's value from its gradient with learning rate
     * {@code lr}. Gradients are read, never changed.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, or two parameters
     *                                  share a name
     * @throws IllegalStateException    if a parameter's size differs from its saved state
     */
    void step(List<Parameter> params, double lr);

    /** Steps taken so far (restored by {@link #load}). */
    long steps();

    /** A deep copy of the state, for a checkpoint. */
    OptimizerState state();

    /**
     * Replaces the state with {@code state}, checked against the parameters it will update: the
     * algorithm must match, and every parameter must have exactly its buffers, of its size, and
     * no buffer may belong to an unknown parameter. Afterwards the next {@link #step} gives the
     * same bits as it would have in the run that saved the state.
     *
     * @throws IllegalArgumentException naming the first buffer or parameter that does not fit
     */
    void load(OptimizerState state, List<Parameter> params);

    /** Sets every gradient to zero. */
    default void zeroGrad(List<Parameter> params) {
        for (Parameter p : params) {
            Arrays.fill(p.grad(), 0f);
        }
    }
}
