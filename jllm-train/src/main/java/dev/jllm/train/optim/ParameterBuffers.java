package dev.jllm.train.optim;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An optimizer's per-parameter F32 buffers (for example AdamW's {@code exp_avg} and
 * {@code exp_avg_sq}), one of each kind per parameter name, kept in first-seen order so that
 * snapshots list them in a stable order.
 */
final class ParameterBuffers {
    private final String algorithm;
    private final String[] kinds;
    private final List<Map<String, float[]>> byKind;

    ParameterBuffers(String algorithm, String... kinds) {
        this.algorithm = algorithm;
        this.kinds = kinds.clone();
        this.byKind = new java.util.ArrayList<>();
        for (int k = 0; k < kinds.length; k++) {
            byKind.add(new LinkedHashMap<>());
        }
    }

    /** The buffer of kind number {@code kind} for {@code p}, or null if it has none yet. */
    float[] get(int kind, Parameter p) {
        return byKind.get(kind).get(p.name());
    }

    /** The buffer of kind number {@code kind} for {@code p}, created zero when missing. */
    float[] getOrCreate(int kind, Parameter p) {
        return byKind.get(kind).computeIfAbsent(p.name(), n -> new float[p.size()]);
    }

    /** Stores {@code buffer} as the buffer of kind number {@code kind} for {@code p}. */
    void put(int kind, Parameter p, float[] buffer) {
        byKind.get(kind).put(p.name(), buffer);
    }

    /**
     * Checks, before anything is updated, that names are unique and that every existing buffer
     * has its parameter's size.
     */
    void checkFits(List<Parameter> params) {
        Set<String> seen = new HashSet<>();
        for (Parameter p : params) {
            if (!seen.add(p.name())) {
                throw new IllegalArgumentException(algorithm + ": two parameters are named " + p.name());
            }
            for (int k = 0; k < kinds.length; k++) {
                float[] b = byKind.get(k).get(p.name());
                if (b != null && b.length != p.size()) {
                    throw new IllegalStateException(algorithm + ": parameter " + p.name() + " has " + p.size()
                            + " elements but its " + kinds[k] + " state has " + b.length);
                }
            }
        }
    }

    /**
     * All buffers, keyed {@code kind/name}, kinds in order within each name; not copied here,
     * since {@link OptimizerState} copies them.
     */
    Map<String, float[]> snapshot() {
        Map<String, float[]> out = new LinkedHashMap<>();
        Set<String> names = new java.util.LinkedHashSet<>();
        for (Map<String, float[]> m : byKind) {
            names.addAll(m.keySet());
        }
        for (String name : names) {
            for (int k = 0; k < kinds.length; k++) {
                float[] b = byKind.get(k).get(name);
                if (b != null) {
                    out.put(OptimizerState.key(kinds[k], name), b);
                }
            }
        }
        return out;
    }

    /**
     * Replaces all buffers with copies from {@code state}. With {@code required}, every parameter
     * must have a buffer of every kind and its size; without, there must be none at all. No
     * buffer may be left over.
     */
    void load(OptimizerState state, List<Parameter> params, boolean required) {
        if (!state.algorithm().equals(algorithm)) {
            throw new IllegalArgumentException("optimizer state was written by " + state.algorithm()
                    + ", not " + algorithm);
        }
        Map<String, float[]> buffers = state.buffers();
        List<Map<String, float[]>> loaded = new java.util.ArrayList<>();
        Set<String> used = new HashSet<>();
        Set<String> seen = new HashSet<>();
        for (int k = 0; k < kinds.length; k++) {
            loaded.add(new LinkedHashMap<>());
        }
        for (Parameter p : params) {
            if (!seen.add(p.name())) {
                throw new IllegalArgumentException(algorithm + ": two parameters are named " + p.name());
            }
            if (!required) {
                continue;
            }
            for (int k = 0; k < kinds.length; k++) {
                String key = OptimizerState.key(kinds[k], p.name());
                float[] b = buffers.get(key);
                if (b == null) {
                    throw new IllegalArgumentException("optimizer state after " + state.steps()
                            + " steps has no buffer " + key + " for parameter " + p.name());
                }
                if (b.length != p.size()) {
                    throw new IllegalArgumentException("optimizer state buffer " + key + " has " + b.length
                            + " elements but parameter " + p.name() + " has " + p.size());
                }
                loaded.get(k).put(p.name(), b.clone());
                used.add(key);
            }
        }
        for (String key : buffers.keySet()) {
            if (!used.contains(key)) {
                throw new IllegalArgumentException("optimizer state buffer " + key
                        + (required ? " belongs to no parameter being trained" : " is unexpected in a state of "
                                + state.steps() + " steps"));
            }
        }
        for (int k = 0; k < kinds.length; k++) {
            byKind.set(k, loaded.get(k));
        }
    }
}
