package dev.jllm.model.encoder;

import java.util.Locale;

/** How an encoder's token states become one sentence vector. */
public enum Pooling {
    /** The average over the sequence's tokens, special tokens included (sentence-transformers' mean). */
    MEAN,
    /** The first token's state ([CLS]). */
    CLS,
    /** The last token's state. */
    LAST;

    /** The name users type: mean, cls, last. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The pooling called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the known ones otherwise
     */
    public static Pooling parse(String name) {
        for (Pooling p : values()) {
            if (p.cliName().equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown pooling \"" + name + "\"; known: mean, cls, last");
    }

    /**
     * Pools the states of one sequence: {@code count} rows of width {@code dim} from
     * {@code states[offset ..]} into {@code out}.
     */
    public void pool(float[] states, int offset, int count, int dim, float[] out) {
        if (count <= 0) {
            throw new IllegalArgumentException("pooling needs at least one token, got " + count);
        }
        switch (this) {
            case CLS -> System.arraycopy(states, offset, out, 0, dim);
            case LAST -> System.arraycopy(states, offset + (count - 1) * dim, out, 0, dim);
            case MEAN -> {
                // summed in double: long inputs average hundreds of rows
                double[] sum = new double[dim];
                for (int t = 0; t < count; t++) {
                    int row = offset + t * dim;
                    for (int i = 0; i < dim; i++) {
                        sum[i] += states[row + i];
                    }
                }
                for (int i = 0; i < dim; i++) {
                    out[i] = (float) (sum[i] / count);
                }
            }
            default -> throw new IllegalStateException(name());
        }
    }
}
