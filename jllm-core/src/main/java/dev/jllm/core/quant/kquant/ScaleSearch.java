package dev.jllm.core.quant.kquant;

import dev.jllm.core.quant.Rounding;

/**
 * GGML's searches for the scale (and minimum) of a group of values that minimise the weighted
 * squared (or absolute) error after rounding: make_qkx2_quants, make_qkx3_quants, make_qp_quants
 * and make_qx_quants of ggml-quants.c, with their float operations in the same order so that the
 * chosen levels match bit for bit.
 */
final class ScaleSearch {
    /** GGML's GROUP_MAX_EPS: groups whose largest magnitude is below this quantize to zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private ScaleSearch() {
    }

    /**
     * Asymmetric search (make_qkx2_quants, and make_qkx3_quants when {@code weights} is null,
     * using x² as weights): levels {@code 0..nmax} of {@code x[xo .. xo+n)} are written to
     * {@code levels[lo ..]}, the minimum (a non-negative offset, subtracted on dequantization) to
     * {@code minOut[minIndex]}; returns the scale.
     *
     * @param rmin first step added to {@code nmax} when trying scales {@code (nmax + rmin +
     *     rdelta·is) / (max − min)}, {@code is = 0..nstep}
     * @param emptyIfNotAbove qkx3 treats {@code max <= min} as an empty range, qkx2 only {@code ==}
     */
    static float scaleAndMin(int n, int nmax, float[] x, int xo, float[] weights, int[] levels, int lo,
            float[] minOut, int minIndex, float rmin, float rdelta, int nstep, boolean useMad, boolean emptyIfNotAbove) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weight(weights, x, xo, 0);
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float v = x[xo + i];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            float w = weight(weights, x, xo, i);
            sumW += w;
            sumX += w * v;
        }
        if (min > 0) {
            min = 0;
        }
        if (emptyIfNotAbove ? max <= min : max == min) {
            java.util.Arrays.fill(levels, lo, lo + n, 0);
            minOut[minIndex] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = Rounding.nearestInt(iscale * (x[xo + i] - min));
            l = Math.max(0, Math.min(nmax, l));
            levels[lo + i] = l;
            float diff = scale * l + min - x[xo + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weight(weights, x, xo, i) * diff;
        }
        if (nstep < 1) {
            minOut[minIndex] = -min;
            return scale;
        }
        int[] aux = new int[n];
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Rounding.nearestInt(iscale * (x[xo + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                aux[i] = l;
                float w = weight(weights, x, xo, i);
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    error += weight(weights, x, xo, i) * diff;
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, levels, lo, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[minIndex] = -min;
        return scale;
    }

    private static float weight(float[] weights, float[] x, int xo, int i) {
        return weights != null ? weights[i] : x[xo + i] * x[xo + i];
    }

    /**
     * Scale for non-negative values {@code x[0 .. n)} on levels {@code 0..nmax}, weighted by
     * {@code qw} (make_qp_quants): tries nine scales around {@code max/nmax}, then moves single
     * levels while that improves the weighted fit.
     */
    static float positiveScale(int n, int nmax, float[] x, int[] levels, float[] qw) {
        float max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        if (max < GROUP_MAX_EPS) {
            java.util.Arrays.fill(levels, 0, n, 0);
            return 0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; i++) {
            levels[i] = Rounding.nearestInt(iscale * x[i]) & 0xFF;
        }
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; i++) {
            float diff = x[i] - scale * levels[i];
            bestMse += qw[i] * diff * diff;
        }
        for (int is = -4; is <= 4; is++) {
            if (is == 0) {
                continue;
            }
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.min(nmax, Rounding.nearestInt(iscaleIs * x[i]));
                float diff = x[i] - scaleIs * l;
                mse += qw[i] * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.min(nmax, Rounding.nearestInt(iscale * x[i]));
            levels[i] = l;
            sumLX += qw[i] * x[i] * l;
            sumL2 += qw[i] * l * l;
        }
        for (int iter = 0; iter < 5; iter++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float w = qw[i];
                float slx = sumLX - w * x[i] * levels[i];
                float sl2 = sumL2 - w * levels[i] * levels[i];
                if (slx > 0 && sl2 > 0) {
                    int l = Math.min(nmax, Rounding.nearestInt(x[i] * sl2 / slx));
                    if (l != levels[i]) {
                        slx += w * x[i] * l;
                        sl2 += w * l * l;
                        if (slx * slx * sumL2 > sumLX * sumLX * sl2) {
                            levels[i] = l;
                            sumLX = slx;
                            sumL2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        return sumL2 > 0 ? sumLX / sumL2 : 0f;
    }

    /**
     * Symmetric search (make_qx_quants with rmse_type 1): levels {@code 0..2·nmax−1} (value
     * {@code level − nmax}) of {@code x[xo .. xo+n)} into {@code levels[lo ..]}; weights are
     * {@code qw[qo ..]} or x² when {@code qw} is null. Returns the (signed) scale.
     */
    static float symmetricScale(int n, int nmax, float[] x, int xo, int[] levels, int lo, float[] qw, int qo) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            java.util.Arrays.fill(levels, lo, lo + n, 0);
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(iscale * v)));
            levels[lo + i] = l + nmax;
            float w = qw != null ? qw[qo + i] : v * v;
            sumLX += w * v * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(iscale * v)));
                float w = qw != null ? qw[qo + i] : v * v;
                sumLX += w * v * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    int l = Rounding.nearestInt(iscale * x[xo + i]);
                    levels[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    /**
     * Symmetric levels for Q3_K's reference quantizer (make_q3_quants with do_rmse): starts from
     * {@code −nmax/max} and moves single levels while the x²-weighted fit improves. Levels
     * {@code 0..2·nmax−1} go to {@code levels[lo ..]}; returns the scale.
     */
    static float q3Scale(int n, int nmax, float[] x, int xo, int[] levels, int lo) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            java.util.Arrays.fill(levels, lo, lo + n, 0);
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(iscale * v)));
            levels[lo + i] = l;
            float w = v * v;
            sumLX += w * v * l;
            sumL2 += w * l * l;
        }
        for (int iter = 0; iter < 5; iter++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                float w = v * v;
                int old = levels[lo + i];
                float slx = sumLX - w * v * old;
                if (slx > 0) {
                    float sl2 = sumL2 - w * old * old;
                    int l = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(v * sl2 / slx)));
                    if (l != old) {
                        slx += w * v * l;
                        sl2 += w * l * l;
                        if (sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2) {
                            levels[lo + i] = l;
                            sumLX = slx;
                            sumL2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            levels[lo + i] += nmax;
        }
        return sumL2 > 0 ? sumLX / sumL2 : 0f;
    }
}
