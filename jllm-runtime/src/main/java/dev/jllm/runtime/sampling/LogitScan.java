package dev.jllm.runtime.sampling;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The passes over a whole vocabulary of logits that the sampler needs: the maximum, threshold collection,
 * and sums of exponentials. Only the exponential passes use the Vector API, where it is ten times faster
 * than {@link Math#exp} once compiled; the compare-only passes are plain loops, because vector code runs
 * about a hundred times slower until C2 has compiled it, and a sampler is called only once per token, so
 * the first dozen or so calls in a JVM stay cold (tens of milliseconds each at 150k entries).
 * Sums are taken per block of {@value #BLOCK} entries in float lanes and the block sums added in double,
 * so the rounding error does not grow with the vocabulary size.
 */
final class LogitScan {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Entries per block of a blocked sum; a multiple of every lane count. */
    static final int BLOCK = 256;

    private LogitScan() {
    }

    /** The largest of {@code x}; NaN if any entry is NaN. */
    static float max(float[] x) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            m = Math.max(m, v);
        }
        return m;
    }

    /**
     * Writes {@link CandidateKey#of} for every index whose value is {@code >= threshold}, in index order,
     * and returns how many. A finite threshold never collects −∞.
     */
    static int collectAtLeast(float[] x, float threshold, long[] keysOut) {
        int count = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] >= threshold) {
                keysOut[count++] = CandidateKey.of(x[i], i);
            }
        }
        return count;
    }

    /**
     * Sum of {@code exp(x[i] - max)} over the whole array, and in {@code bandMass[j]} the same sum over the
     * entries with {@code x[i] - max >= -bandDepth[j]}; each exponential also goes to {@code out[i]} unless
     * {@code out} is null. {@code max} must be the array's maximum.
     */
    static double expSum(float[] x, float max, float[] bandDepth, double[] bandMass, float[] out) {
        int n = x.length;
        int bands = bandDepth.length;
        java.util.Arrays.fill(bandMass, 0, bands, 0.0);
        FloatVector[] bandAcc = new FloatVector[bands];
        double total = 0;
        int i = 0;
        int vecEnd = F.loopBound(n);
        while (i < vecEnd) {
            int blockEnd = Math.min(vecEnd, i + BLOCK);
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < bands; j++) {
                bandAcc[j] = FloatVector.zero(F);
            }
            for (; i < blockEnd; i += F.length()) {
                FloatVector d = FloatVector.fromArray(F, x, i).sub(max);
                FloatVector e = d.lanewise(VectorOperators.EXP);
                if (out != null) {
                    e.intoArray(out, i);
                }
                acc = acc.add(e);
                for (int j = 0; j < bands; j++) {
                    bandAcc[j] = bandAcc[j].add(e, d.compare(VectorOperators.GE, -bandDepth[j]));
                }
            }
            total += acc.reduceLanes(VectorOperators.ADD);
            for (int j = 0; j < bands; j++) {
                bandMass[j] += bandAcc[j].reduceLanes(VectorOperators.ADD);
            }
        }
        for (; i < n; i++) {
            float d = x[i] - max;
            float e = (float) Math.exp(d);
            if (out != null) {
                out[i] = e;
            }
            total += e;
            for (int j = 0; j < bands; j++) {
                if (d >= -bandDepth[j]) {
                    bandMass[j] += e;
                }
            }
        }
        return total;
    }

    /**
     * Writes {@code w[i] = exp((x[i] - max) * scale)} and the sum of each block of {@value #BLOCK} entries
     * into {@code blockSums} (length {@code ceil(n / BLOCK)}); returns the sum of the block sums, added in
     * block order so that a later walk over the blocks reproduces it exactly.
     */
    static double expWeights(float[] x, float max, float scale, float[] w, double[] blockSums) {
        int n = x.length;
        int vecEnd = F.loopBound(n);
        double total = 0;
        int block = 0;
        for (int start = 0; start < n; start += BLOCK, block++) {
            int end = Math.min(n, start + BLOCK);
            int vEnd = Math.min(end, vecEnd);
            FloatVector acc = FloatVector.zero(F);
            int i = start;
            for (; i < vEnd; i += F.length()) {
                FloatVector e = FloatVector.fromArray(F, x, i).sub(max).mul(scale).lanewise(VectorOperators.EXP);
                e.intoArray(w, i);
                acc = acc.add(e);
            }
            double s = acc.reduceLanes(VectorOperators.ADD);
            for (; i < end; i++) {
                float e = (float) Math.exp((x[i] - max) * scale);
                w[i] = e;
                s += e;
            }
            blockSums[block] = s;
            total += s;
        }
        return total;
    }
}
