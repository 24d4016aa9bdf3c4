package dev.jllm.core.autograd;

import dev.jllm.core.parallel.WorkerPool;
import java.util.ArrayList;
import java.util.Arrays;

/**
 * Records the backward step of each op as it runs forward, then runs them in reverse to
 * accumulate gradients: reverse-mode automatic differentiation over layer-sized ops.
 *
 * <p>A training step is: ops on this tape (their static methods take it first), {@link
 * #backward(Variable)} on the loss, the optimizer reading {@link Variable#grad()}, then {@link
 * #clear()}. The arrays of op outputs, their gradients and saved state are lent by the tape and
 * reused by the next step, so a step of the same shapes allocates almost nothing after the first.
 *
 * <p>Inside {@link #noGrad()} ops compute their outputs but record nothing, their outputs need
 * no gradient, and dropout is the identity: evaluation mode. A tape is used by one thread at a
 * time; ops spread their work over the tape's {@link WorkerPool}. Every op is deterministic: the
 * same inputs and thread count give bit-identical values and gradients.
 */
public final class Tape {
    /** Work below this many elements runs on the calling thread: dispatch would cost more. */
    private static final int PARALLEL_THRESHOLD = 1 << 14;

    private final WorkerPool pool;
    private final Workspace workspace = new Workspace();
    private final ArrayList<Runnable> steps = new ArrayList<>();
    private final ArrayList<Variable> outputs = new ArrayList<>();
    private int noGradDepth;
    private boolean backwardDone;

    /** A scope that ends with try-with-resources; {@link #close()} throws nothing. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** A tape whose ops run on {@code pool}. */
    public Tape(WorkerPool pool) {
        if (pool == null) {
            throw new IllegalArgumentException("a tape needs a worker pool");
        }
        this.pool = pool;
    }

    /** The pool the ops run on. */
    public WorkerPool pool() {
        return pool;
    }

    /** Whether ops record their backward steps now (false inside {@link #noGrad()}). */
    public boolean recording() {
        return noGradDepth == 0;
    }

    /**
     * Starts a scope in which ops record nothing (evaluation, or inference through the training
     * graph). Scopes nest.
     */
    public Scope noGrad() {
        noGradDepth++;
        boolean[] closed = {false};
        return () -> {
            if (!closed[0]) {
                closed[0] = true;
                noGradDepth--;
            }
        };
    }

    /** Number of backward steps recorded since the last {@link #clear()}. */
    public int recordedSteps() {
        return steps.size();
    }

    /**
     * Back-propagates from a scalar loss: seeds dL/dL = 1 and runs the recorded steps in reverse,
     * adding each gradient into {@link Variable#grad()} of the variables that require one.
     *
     * @throws IllegalArgumentException if {@code loss} has more than one element or does not
     *     depend on anything that requires a gradient
     * @throws IllegalStateException if backward already ran since the last {@link #clear()}
     */
    public void backward(Variable loss) {
        if (loss.size() != 1) {
            throw new IllegalArgumentException("backward needs a scalar loss, got " + loss);
        }
        backward(loss, new float[] {1f});
    }

    /**
     * Back-propagates a given gradient of some loss with respect to {@code output} (which a later
     * pipeline stage, say, computed): adds {@code outputGrad} to its gradient and runs the recorded
     * steps in reverse.
     *
     * @throws IllegalArgumentException if the gradient's length differs from the output's size or
     *     the output requires no gradient
     * @throws IllegalStateException if backward already ran since the last {@link #clear()}
     */
    public void backward(Variable output, float[] outputGrad) {
        if (backwardDone) {
            throw new IllegalStateException("backward already ran on this tape; clear() it before the next step");
        }
        if (!output.requiresGrad()) {
            throw new IllegalArgumentException(output + " does not depend on any variable that requires a gradient"
                    + " (or was computed inside noGrad)");
        }
        if (outputGrad.length != output.size()) {
            throw new IllegalArgumentException("gradient of " + outputGrad.length + " values for " + output);
        }
        float[] g = gradOf(output);
        for (int i = 0; i < g.length; i++) {
            g[i] += outputGrad[i];
        }
        backwardDone = true;
        for (int i = steps.size() - 1; i >= 0; i--) {
            steps.get(i).run();
        }
    }

    /**
     * Forgets the recorded steps and takes back the arrays of every op output made since the last
     * clear (those variables can no longer be read). Parameter gradients are kept.
     */
    public void clear() {
        for (Variable v : outputs) {
            v.detach();
        }
        outputs.clear();
        steps.clear();
        workspace.reset();
        backwardDone = false;
    }

    /** Floats lent to op outputs, gradients and saved state since the last {@link #clear()}. */
    public long workspaceFloats() {
        return workspace.lentFloats();
    }

    // ---- for ops ----

    /**
     * Whether an op on {@code inputs} must record a backward step: the tape records and some
     * input requires a gradient.
     */
    public boolean needsGrad(Variable... inputs) {
        if (!recording()) {
            return false;
        }
        for (Variable v : inputs) {
            if (v != null && v.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /**
     * A new op output of {@code shape} with uninitialised values (the op fills them), lent by
     * this tape until {@link #clear()}. It requires a gradient only if asked to and the tape records.
     */
    public Variable output(boolean requiresGrad, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE || n < 0) {
            throw new IllegalArgumentException("op output of shape " + Arrays.toString(shape) + " exceeds a float[]");
        }
        Variable v = new Variable(workspace.take((int) n), shape, requiresGrad && recording(), true);
        outputs.add(v);
        return v;
    }

    /** Records one backward step; steps run in reverse order of recording. */
    public void record(Runnable backwardStep) {
        if (!recording()) {
            throw new IllegalStateException("ops record nothing inside noGrad");
        }
        steps.add(backwardStep);
    }

    /** The gradient array of {@code v} to add into, allocated zeroed on first use. */
    public float[] gradOf(Variable v) {
        if (!v.requiresGrad()) {
            throw new IllegalArgumentException(v + " requires no gradient");
        }
        return v.gradForAccumulation(workspace);
    }

    /**
     * Hands {@code g} to {@code v} as its gradient when v is an op output that has none yet,
     * instead of adding it into a zeroed array; the caller must not touch {@code g} afterwards.
     * Safe for the gradient of an op's output once that op's backward step runs, since nothing
     * reads it again.
     *
     * @return whether v took the array (else the caller adds into {@link #gradOf})
     */
    boolean handOverGrad(Variable v, float[] g) {
        return v.adoptGrad(g);
    }

    /** Scratch or saved state of {@code size} floats, uninitialised, valid until {@link #clear()}. */
    public float[] scratch(int size) {
        return workspace.take(size);
    }

    /**
     * Runs {@code body} over {@code [0, count)} split across the pool when the work ({@code count}
     * × {@code costPerIndex} elements) is large enough to pay for the dispatch, else on this thread.
     */
    void parallel(int count, int costPerIndex, WorkerPool.RangeTask body) {
        if (count <= 0) {
            return;
        }
        if ((long) count * costPerIndex < PARALLEL_THRESHOLD || count == 1 || pool.threads() == 1) {
            body.run(0, count);
        } else {
            pool.parallelFor(count, body);
        }
    }
}
