package dev.jllm.core.ops;

/**
 * Precomputed cosines and sines of rotary position embeddings (Su et al. 2021): for position p
 * and pair i (0 ≤ i &lt; rotaryDim/2) the angle is p · theta^(−2i/rotaryDim). Angles and their
 * cosines and sines are computed in double and rounded once to float. The table holds
 * rotaryDim/2 cosines and as many sines per position (4·rotaryDim bytes).
 */
public final class RopeTable {
    private final int rotaryDim;
    private final int maxPositions;
    private final double theta;
    private final float[] cos;
    private final float[] sin;

    /**
     * A table for positions 0 .. maxPositions − 1.
     *
     * @param rotaryDim the number of rotated dimensions of a head: positive and even (may be less
     *     than the head dimension: partial rotary)
     * @param theta the base, e.g. 10000 (LLaMA 2) or 500000 (LLaMA 3)
     * @throws IllegalArgumentException if {@code rotaryDim} is not positive and even,
     *     {@code maxPositions} is not positive, the table would exceed an array, or theta is not
     *     greater than 1
     */
    public RopeTable(int rotaryDim, int maxPositions, double theta) {
        this(rotaryDim, maxPositions, checkedTheta(theta), standardFrequencies(rotaryDim, theta));
    }

    /**
     * A table with given per-pair angular frequencies (radians per position), as frequency-scaled
     * variants (Llama 3's {@code rope_scaling}, linear position interpolation) compute them.
     *
     * @param frequencies rotaryDim/2 finite frequencies
     * @param theta the base the frequencies were derived from (reported by {@link #theta()})
     * @throws IllegalArgumentException as the standard constructor, or if the frequencies are not
     *     rotaryDim/2 finite values
     */
    public RopeTable(int rotaryDim, int maxPositions, double theta, double[] frequencies) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension must be positive and even, got " + rotaryDim);
        }
        if (maxPositions <= 0 || (long) maxPositions * rotaryDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot build a RoPE table of " + maxPositions + " positions × "
                    + rotaryDim + " dimensions");
        }
        int half = rotaryDim / 2;
        if (frequencies.length != half) {
            throw new IllegalArgumentException("a RoPE table of rotary dimension " + rotaryDim + " needs " + half
                    + " frequencies, got " + frequencies.length);
        }
        for (double f : frequencies) {
            if (!Double.isFinite(f)) {
                throw new IllegalArgumentException("RoPE frequencies must be finite, got " + f);
            }
        }
        this.rotaryDim = rotaryDim;
        this.maxPositions = maxPositions;
        this.theta = theta;
        cos = new float[maxPositions * half];
        sin = new float[maxPositions * half];
        for (int p = 0; p < maxPositions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * frequencies[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /** The frequencies theta^(−2i/rotaryDim) of unscaled RoPE, i = 0 .. rotaryDim/2 − 1. */
    public static double[] standardFrequencies(int rotaryDim, double theta) {
        double[] frequency = new double[Math.max(0, rotaryDim / 2)];
        for (int i = 0; i < frequency.length; i++) {
            frequency[i] = Math.pow(theta, -2.0 * i / rotaryDim);
        }
        return frequency;
    }

    private static double checkedTheta(double theta) {
        if (!(theta > 1)) {
            throw new IllegalArgumentException("RoPE base theta must be greater than 1, got " + theta);
        }
        return theta;
    }

    /** Rotated dimensions per head. */
    public int rotaryDim() {
        return rotaryDim;
    }

    /** Number of positions the table covers. */
    public int maxPositions() {
        return maxPositions;
    }

    /** The base. */
    public double theta() {
        return theta;
    }

    /** cos of the angle of pair {@code pair} at {@code position}. */
    public float cos(int position, int pair) {
        return cos[index(position, pair)];
    }

    /** sin of the angle of pair {@code pair} at {@code position}. */
    public float sin(int position, int pair) {
        return sin[index(position, pair)];
    }

    private int index(int position, int pair) {
        if (position < 0 || position >= maxPositions || pair < 0 || pair >= rotaryDim / 2) {
            throw new IllegalArgumentException("no RoPE entry for position " + position + ", pair " + pair
                    + " in a table of " + maxPositions + " positions × " + rotaryDim / 2 + " pairs");
        }
        return position * (rotaryDim / 2) + pair;
    }

    /** Per-pair cosines, position-major (rotaryDim/2 per position). */
    float[] cosTable() {
        return cos;
    }

    /** Per-pair sines, position-major. */
    float[] sinTable() {
        return sin;
    }
}
