package dev.jllm.train.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A snapshot of an optimizer's state, enough to resume with bit-identical updates: the number of
 * steps taken and one F32 buffer per (kind, parameter), keyed {@code kind + "/" + parameterName}
 * (for example {@code exp_avg/blk.0.attn_q.weight}). Hyperparameters are not part of it: they
 * belong to the run's configuration.
 *
 * <p>A checkpoint writer stores each buffer as an F32 tensor under its key and the algorithm and
 * step count as metadata. The buffers are deep copies, so a snapshot does not change when the
 * optimizer takes further steps.
 *
 * @param algorithm the optimizer that wrote it ({@code adamw}, {@code sgd})
 * @param steps     steps taken
 * @param buffers   buffers by key, in a stable order
 */
public record OptimizerState(String algorithm, long steps, Map<String, float[]> buffers) {

    /**
     * Copies {@code buffers} (the map and every array).
     *
     * @throws IllegalArgumentException if {@code steps} is negative
     */
    public OptimizerState {
        Objects.requireNonNull(algorithm, "algorithm");
        if (steps < 0) {
            throw new IllegalArgumentException("optimizer state: step count must be non-negative, got " + steps);
        }
        Map<String, float[]> copy = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : buffers.entrySet()) {
            copy.put(Objects.requireNonNull(e.getKey(), "buffer key"),
                    Objects.requireNonNull(e.getValue(), "buffer " + e.getKey()).clone());
        }
        buffers = Collections.unmodifiableMap(copy);
    }

    /** The key of the buffer of {@code kind} for parameter {@code parameterName}. */
    public static String key(String kind, String parameterName) {
        return kind + "/" + parameterName;
    }
}
