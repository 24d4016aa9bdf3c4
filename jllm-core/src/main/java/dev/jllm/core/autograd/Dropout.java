package dev.jllm.core.autograd;

/**
 * Inverted dropout: each element is zeroed with probability p and the rest scaled by 1/(1 − p),
 * so evaluation needs no rescaling. Which elements drop is a hash of the seed and the element's
 * index (SplitMix64's finaliser), so the mask is the same at any thread count and the backward
 * recomputes it instead of storing it.
 */
public final class Dropout {
    private Dropout() {
    }

    /**
     * Drops elements of x with probability {@code p}; the identity (x itself) when p is 0 or the
     * tape is inside {@link Tape#noGrad()} (evaluation). A training loop draws a fresh seed per
     * call from its own seeded generator, which makes runs reproducible.
     *
     * @throws IllegalArgumentException if p is not in [0, 1)
     */
    public static Variable apply(Tape tape, Variable x, float p, long seed) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (p == 0f || !tape.recording()) {
            return x;
        }
        // keep an element when the top 24 bits of its hash reach p·2^24
        int threshold = (int) Math.ceil(p * (double) (1 << 24));
        float keepScale = 1f / (1f - p);
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, x.shape());
        float[] xv = x.value();
        float[] yv = y.value();
        Arithmetic.chunks(tape, x.size(), (from, to) -> {
            for (int i = from; i < to; i++) {
                yv[i] = kept(seed, i, threshold) ? xv[i] * keepScale : 0f;
            }
        });
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy == null) {
                    return;
                }
                float[] gx = tape.gradOf(x);
                Arithmetic.chunks(tape, x.size(), (from, to) -> {
                    for (int i = from; i < to; i++) {
                        if (kept(seed, i, threshold)) {
                            gx[i] += gy[i] * keepScale;
                        }
                    }
                });
            });
        }
        return y;
    }

    /**
     * Drops elements of x with probability {@code p}, the mask's seed drawn from {@code rng} (one
     * draw per call, in training only, so a seeded generator gives the same masks every run).
     *
     * @throws IllegalArgumentException if p is not in [0, 1)
     */
    public static Variable apply(Tape tape, Variable x, float p, java.util.random.RandomGenerator rng) {
        if (p == 0f || !tape.recording()) {
            return apply(tape, x, p, 0L);
        }
        return apply(tape, x, p, rng.nextLong());
    }

    /** Whether element {@code i} survives under {@code seed}. */
    static boolean kept(long seed, int i, int threshold) {
        long z = seed + (i + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (int) (z >>> 40) >= threshold;
    }
}
