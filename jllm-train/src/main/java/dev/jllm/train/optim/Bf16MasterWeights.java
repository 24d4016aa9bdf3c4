package dev.jllm.train.optim;

import dev.jllm.core.parallel.WorkerPool;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BF16 shadows of F32 master weights, for training with BF16 weights.
 *
 * <p>The optimizer keeps updating the F32 values in {@link Parameter#value()} (small updates
 * would vanish in BF16's 8-bit mantissa); the forward and backward passes read the BF16 shadow
 * instead, and gradients stay F32. After every optimizer step the trainer calls
 * {@link #refresh}, which rounds each master array into its shadow (nearest, ties to even; see
 * {@link Bf16Rounding}). A checkpoint saves the masters, never the shadows, which
 * are recomputed on resume. A kernel that wants F32 inputs with BF16 values can use
 * {@link Bf16Rounding#roundToFloat} instead, or view a shadow as a BF16 tensor through
 * {@code MemorySegment.ofArray(short[])}.
 */
public final class Bf16MasterWeights {
    private final List<Parameter> params;
    private final Map<String, short[]> shadows = new LinkedHashMap<>();

    /** Allocates a shadow per parameter and fills it from the current master weights. */
    public Bf16MasterWeights(List<Parameter> params, WorkerPool pool) {
        this.params = List.copyOf(params);
        for (Parameter p : this.params) {
            if (shadows.put(p.name(), new short[p.size()]) != null) {
                throw new IllegalArgumentException("BF16 shadows: two parameters are named " + p.name());
            }
        }
        refresh(pool);
    }

    /** Rounds every master array into its shadow; call after each optimizer step. */
    public void refresh(WorkerPool pool) {
        for (Parameter p : params) {
            float[] master = p.value();
            short[] shadow = shadows.get(p.name());
            ChunkedLoop.run(pool, master.length,
                    (from, to) -> Bf16Rounding.round(master, from, shadow, from, to - from));
        }
    }

    /**
     * The BF16 shadow (raw bits) of parameter {@code name}; the same array after every refresh.
     *
     * @throws IllegalArgumentException if there is no such parameter
     */
    public short[] shadow(String name) {
        short[] s = shadows.get(name);
        if (s == null) {
            throw new IllegalArgumentException("BF16 shadows: no parameter named " + name);
        }
        return s;
    }

    /** All shadows by parameter name, in parameter order. */
    public Map<String, short[]> shadows() {
        return Collections.unmodifiableMap(shadows);
    }
}
