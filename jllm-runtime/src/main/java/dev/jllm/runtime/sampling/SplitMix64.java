package dev.jllm.runtime.sampling;

/**
 * SplitMix64 (Steele, Lea and Flood 2014): a 64-bit counter passed through a fixed mixing function.
 * Written out here rather than taken from {@code java.util} so that a seed gives the same stream on
 * every JDK and platform, which is what makes a sampling seed reproducible.
 */
public final class SplitMix64 {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    /** A generator whose stream is fixed by {@code seed}. */
    public SplitMix64(long seed) {
        this.state = seed;
    }

    /** The next 64 uniformly distributed bits. */
    public long nextLong() {
        long z = (state += GOLDEN_GAMMA);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A uniform double in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }
}
