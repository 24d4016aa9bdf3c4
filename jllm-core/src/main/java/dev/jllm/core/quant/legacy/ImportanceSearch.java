package dev.jllm.core.quant.legacy;

import dev.jllm.core.quant.Rounding;

/**
 * GGML's weighted searches for a block's scale (and minimum) under importance weights:
 * {@code make_qx_quants} with rmse_type 1 for Q4_0/Q5_0 and {@code make_qkx3_quants} with
 * rmin -0.9, rdelta 0.05, 36 steps and squared error for Q4_1/Q5_1. Arithmetic follows the C
 * expressions operation by operation (no fused multiply-add).
 */
final class ImportanceSearch {
    /** GGML's GROUP_MAX_EPS: blocks whose largest magnitude is below it are all zero. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    private ImportanceSearch() {
    }

    /**
     * Scale of a symmetric block with codes in [0, 2·nmax) (offset nmax): tries the scale that
     * maps the signed extreme to -nmax and 18 nearby ones, keeping the weighted least-squares
     * best; writes the codes to {@code q} and returns the scale.
     */
    static float symmetricScale(float[] x, float[] w, int nmax, int[] q) {
        int n = x.length;
        float max = 0f;
        float amax = 0f;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[i]);
            if (ax > amax) {
                amax = ax;
                max = x[i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            java.util.Arrays.fill(q, 0, n, 0);
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0f;
        float suml2 = 0f;
        for (int i = 0; i < n; i++) {
            int l = clampSigned(Rounding.nearestInt(iscale * x[i]), nmax);
            q[i] = l + nmax;
            sumlx += w[i] * x[i] * l;
            suml2 += w[i] * l * l;
        }
        float scale = suml2 != 0f ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0f;
            suml2 = 0f;
            for (int i = 0; i < n; i++) {
                int l = clampSigned(Rounding.nearestInt(iscale * x[i]), nmax);
                sumlx += w[i] * x[i] * l;
                suml2 += w[i] * l * l;
            }
            if (suml2 > 0f && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    q[i] = nmax + clampSigned(Rounding.nearestInt(iscale * x[i]), nmax);
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static int clampSigned(int l, int nmax) {
        return Math.max(-nmax, Math.min(nmax - 1, l));
    }

    /**
     * Scale and minimum of an affine block with codes in [0, nmax]: starts from the block's range
     * (the minimum capped at 0) and tries 37 step counts, solving weighted least squares for scale
     * and minimum at each; writes the codes to {@code q}, the minimum (≤ 0, the value stored as
     * the block's m) to {@code minOut[0]} and returns the scale.
     */
    static float affineScale(float[] x, float[] w, int nmax, int[] q, float[] minOut) {
        final float rmin = -0.9f;
        final float rdelta = 0.05f;
        final int nstep = 36;
        int n = x.length;
        float min = x[0];
        float max = x[0];
        float sumW = w[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++) {
            if (x[i] < min) {
                min = x[i];
            }
            if (x[i] > max) {
                max = x[i];
            }
            sumW += w[i];
            sumX += w[i] * x[i];
        }
        if (min > 0f) {
            min = 0f;
        }
        if (max <= min) {
            java.util.Arrays.fill(q, 0, n, 0);
            minOut[0] = min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1f / iscale;
        float bestError = 0f;
        for (int i = 0; i < n; i++) {
            q[i] = Math.max(0, Math.min(nmax, Rounding.nearestInt(iscale * (x[i] - min))));
            float diff = scale * q[i] + min - x[i];
            bestError += w[i] * (diff * diff);
        }
        int[] aux = new int[n];
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0f;
            float sumL2 = 0f;
            float sumXL = 0f;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, Rounding.nearestInt(iscale * (x[i] - min))));
                aux[i] = l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0f) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0f) {
                    thisMin = 0f;
                    thisScale = sumXL / sumL2;
                }
                float error = 0f;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[i];
                    error += w[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, q, 0, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[0] = min;
        return scale;
    }
}
