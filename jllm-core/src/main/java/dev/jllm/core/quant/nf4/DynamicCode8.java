package dev.jllm.core.quant.nf4;

/**
 * bitsandbytes' signed 8-bit "dynamic" code ({@code create_dynamic_map(signed=True)}, after
 * Dettmers 2016): 256 sorted values in [-1, 1]. For each decade k = 0..6 it holds the 2^k
 * midpoints of {@code linspace(0.1, 1, 2^k + 1)} scaled by 10^(k-6), with both signs, plus 0 and 1
 * — fine steps near zero, coarse near one. QLoRA's double quantization codes the absmax values
 * with it. Values are computed in double and rounded to float.
 */
public final class DynamicCode8 {
    private static final float[] VALUES = build();

    private DynamicCode8() {
    }

    private static float[] build() {
        float[] v = new float[256];
        int n = 0;
        for (int k = 0; k < 7; k++) {
            int items = 1 << k;
            double scale = Math.pow(10, k - 6);
            for (int j = 0; j < items; j++) {
                double left = 0.1 + 0.9 * j / items;
                double right = 0.1 + 0.9 * (j + 1) / items;
                float mean = (float) (scale * (left + right) / 2);
                v[n++] = mean;
                v[n++] = -mean;
            }
        }
        v[n++] = 0f;
        v[n++] = 1f;
        if (n != 256) {
            throw new AssertionError("dynamic code has " + n + " values");
        }
        java.util.Arrays.sort(v);
        return v;
    }

    /** The value of code {@code code} (0..255). */
    public static float value(int code) {
        return VALUES[code];
    }

    /** The code whose value is nearest to {@code v} (ties to the lower code). */
    public static int code(float v) {
        int lo = 0;
        int hi = 255;
        // invariant: the nearest value lies in VALUES[lo .. hi]
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (VALUES[mid] <= v) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Math.abs(v - VALUES[lo]) <= Math.abs(VALUES[hi] - v) ? lo : hi;
    }
}
