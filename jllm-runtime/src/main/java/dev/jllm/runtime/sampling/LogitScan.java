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

    /** Number of bands {@link #expSumBanded} measures. */
    static final int BANDS = 5;

    /** Sum of {@code exp(x[i] - max)} over the whole array; {@code max} must be the array's maximum. */
    static double expSum(float[] x, float max) {
        int n = x.length;
        int vecEnd = F.loopBound(n);
        double total = 0;
        int i = 0;
        while (i < vecEnd) {
            int blockEnd = Math.min(vecEnd, i + BLOCK);
            FloatVector acc = FloatVector.zero(F);
            for (; i < blockEnd; i += F.length()) {
                acc = acc.add(FloatVector.fromArray(F, x, i).sub(max).lanewise(VectorOperators.EXP));
            }
            total += acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            total += (float) Math.exp(x[i] - max);
        }
        return total;
    }

    /**
     * Writes {@code out[i] = exp(x[i] - max)} and returns their sum; {@code bandMass[j]} receives the sum
     * over the entries with {@code x[i] - max >= -depth[j]}, for the {@value #BANDS} depths given.
     * {@code max} must be the array's maximum.
     */
    static double expSumBanded(float[] x, float max, float[] depth, double[] bandMass, float[] out) {
        // five named accumulators, not an array of vectors: an array would box every vector
        float d0 = -depth[0];
        float d1 = -depth[1];
        float d2 = -depth[2];
        float d3 = -depth[3];
        float d4 = -depth[4];
        java.util.Arrays.fill(bandMass, 0, BANDS, 0.0);
        int n = x.length;
        int vecEnd = F.loopBound(n);
        double total = 0;
        int i = 0;
        while (i < vecEnd) {
            int blockEnd = Math.min(vecEnd, i + BLOCK);
            FloatVector acc = FloatVector.zero(F);
            FloatVector b0 = acc;
            FloatVector b1 = acc;
            FloatVector b2 = acc;
            FloatVector b3 = acc;
            FloatVector b4 = acc;
            for (; i < blockEnd; i += F.length()) {
                FloatVector d = FloatVector.fromArray(F, x, i).sub(max);
                FloatVector e = d.lanewise(VectorOperators.EXP);
                e.intoArray(out, i);
                acc = acc.add(e);
                b0 = b0.add(e, d.compare(VectorOperators.GE, d0));
                b1 = b1.add(e, d.compare(VectorOperators.GE, d1));
                b2 = b2.add(e, d.compare(VectorOperators.GE, d2));
                b3 = b3.add(e, d.compare(VectorOperators.GE, d3));
                b4 = b4.add(e, d.compare(VectorOperators.GE, d4));
            }
            total += acc.reduceLanes(VectorOperators.ADD);
            bandMass[0] += b0.reduceLanes(VectorOperators.ADD);
            bandMass[1] += b1.reduceLanes(VectorOperators.ADD);
            bandMass[2] += b2.reduceLanes(VectorOperators.ADD);
            bandMass[3] += b3.reduceLanes(VectorOperators.ADD);
            bandMass[4] += b4.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float d = x[i] - max;
            float e = (float) Math.exp(d);
            out[i] = e;
            total += e;
            for (int j = 0; j < BANDS; j++) {
                if (d >= -depth[j]) {
                    bandMass[j] += e;
                }
            }
        }
        return total;
    }

    /**
     * Like {@link #expSumBanded} but from weights already computed ({@code w[i] = exp(x[i] - max)}): fills
     * {@code bandMass[j]} with the sum of {@code w[i]} over {@code x[i] - max >= -depth[j]}, no exponentials.
     */
    static void bandMass(float[] x, float max, float[] w, float[] depth, double[] bandMass) {
        float d0 = -depth[0];
        float d1 = -depth[1];
        float d2 = -depth[2];
        float d3 = -depth[3];
        float d4 = -depth[4];
        java.util.Arrays.fill(bandMass, 0, BANDS, 0.0);
        int n = x.length;
        int vecEnd = F.loopBound(n);
        int i = 0;
        while (i < vecEnd) {
            int blockEnd = Math.min(vecEnd, i + BLOCK);
            FloatVector b0 = FloatVector.zero(F);
            FloatVector b1 = b0;
            FloatVector b2 = b0;
            FloatVector b3 = b0;
            FloatVector b4 = b0;
            for (; i < blockEnd; i += F.length()) {
                FloatVector d = FloatVector.fromArray(F, x, i).sub(max);
                FloatVector e = FloatVector.fromArray(F, w, i);
                b0 = b0.add(e, d.compare(VectorOperators.GE, d0));
                b1 = b1.add(e, d.compare(VectorOperators.GE, d1));
                b2 = b2.add(e, d.compare(VectorOperators.GE, d2));
                b3 = b3.add(e, d.compare(VectorOperators.GE, d3));
                b4 = b4.add(e, d.compare(VectorOperators.GE, d4));
            }
            bandMass[0] += b0.reduceLanes(VectorOperators.ADD);
            bandMass[1] += b1.reduceLanes(VectorOperators.ADD);
            bandMass[2] += b2.reduceLanes(VectorOperators.ADD);
            bandMass[3] += b3.reduceLanes(VectorOperators.ADD);
            bandMass[4] += b4.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float d = x[i] - max;
            for (int j = 0; j < BANDS; j++) {
                if (d >= -depth[j]) {
                    bandMass[j] += w[i];
                }
            }
        }
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
