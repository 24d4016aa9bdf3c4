package dev.jllm.core.quant.nf4;

/**
 * The 16 levels of QLoRA's 4-bit NormalFloat (Dettmers et al. 2023, as bitsandbytes defines
 * them): quantiles of a standard normal rescaled to [-1, 1], with an exact zero. A value is coded
 * as the nearest level; the decision thresholds lie midway between neighbouring levels, as in
 * bitsandbytes' {@code dQuantizeNF4}, and a value exactly on a threshold takes the lower level.
 */
public final class Nf4Codebook {
    private static final float[] LEVELS = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };
    private static final float[] THRESHOLDS = new float[15];

    static {
        for (int i = 0; i < 15; i++) {
            THRESHOLDS[i] = (float) (((double) LEVELS[i] + LEVELS[i + 1]) / 2);
        }
    }

    /** The code of exact zero. */
    public static final int ZERO_CODE = 7;

    private Nf4Codebook() {
    }

    /** The level of code {@code code} (0..15). */
    public static float level(int code) {
        return LEVELS[code];
    }

    /** A copy of the 16 levels, ascending. */
    public static float[] levels() {
        return LEVELS.clone();
    }

    /** The code (0..15) of the level nearest to {@code normalized}, a value in [-1, 1]. */
    public static int code(float normalized) {
        // binary search over the 15 midpoints: the code is the number of thresholds below the value
        int lo = 0;
        int hi = 15;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (normalized > THRESHOLDS[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
