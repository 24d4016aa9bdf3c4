package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Layer normalisation (Ba et al. 2016): out[i] = (x[i] − mean) / sqrt(var + eps) · w[i] + b[i],
 * with the biased variance over the range and an optional bias. {@code out} may be {@code x} at
 * the same offset.
 */
public final class LayerNorm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private LayerNorm() {
    }

    /**
     * Normalises {@code x[xOffset ..]} into {@code out[outOffset ..]}.
     *
     * @param bias the bias, or null for none ({@code biasOffset} is then ignored)
     */
    public static void apply(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int weightOffset,
            float[] bias, int biasOffset, int length, float eps) {
        check(out, outOffset, x, xOffset, weight, weightOffset, bias, biasOffset, length);
        int lanes = F.length();
        int bound = F.loopBound(length);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += lanes) {
            acc = acc.add(FloatVector.fromArray(F, x, xOffset + i));
        }
        float sum = LaneSum.of(acc);
        for (; i < length; i++) {
            sum += x[xOffset + i];
        }
        float mean = sum / length;
        // second pass over the centred values: no cancellation as with E[x²] − mean²
        acc = FloatVector.zero(F);
        for (i = 0; i < bound; i += lanes) {
            FloatVector d = FloatVector.fromArray(F, x, xOffset + i).sub(mean);
            acc = d.fma(d, acc);
        }
        float squares = LaneSum.of(acc);
        for (; i < length; i++) {
            float d = x[xOffset + i] - mean;
            squares += d * d;
        }
        float inv = (float) (1.0 / Math.sqrt(squares / length + eps));
        for (i = 0; i < bound; i += lanes) {
            FloatVector y = FloatVector.fromArray(F, x, xOffset + i).sub(mean).mul(inv)
                    .mul(FloatVector.fromArray(F, weight, weightOffset + i));
            if (bias != null) {
                y = y.add(FloatVector.fromArray(F, bias, biasOffset + i));
            }
            y.intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            float y = (x[xOffset + i] - mean) * inv * weight[weightOffset + i];
            out[outOffset + i] = bias != null ? y + bias[biasOffset + i] : y;
        }
    }

    /** Scalar twin of {@link #apply}; sums in double. */
    public static void applyReference(float[] out, int outOffset, float[] x, int xOffset, float[] weight,
            int weightOffset, float[] bias, int biasOffset, int length, float eps) {
        check(out, outOffset, x, xOffset, weight, weightOffset, bias, biasOffset, length);
        double sum = 0;
        for (int i = 0; i < length; i++) {
            sum += x[xOffset + i];
        }
        float mean = (float) (sum / length);
        double squares = 0;
        for (int i = 0; i < length; i++) {
            double d = x[xOffset + i] - mean;
            squares += d * d;
        }
        float inv = (float) (1.0 / Math.sqrt(squares / length + eps));
        for (int i = 0; i < length; i++) {
            float y = (x[xOffset + i] - mean) * inv * weight[weightOffset + i];
            out[outOffset + i] = bias != null ? y + bias[biasOffset + i] : y;
        }
    }

    private static void check(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int weightOffset,
            float[] bias, int biasOffset, int length) {
        if (length <= 0) {
            throw new IllegalArgumentException("LayerNorm needs a positive length, got " + length);
        }
        ArrayRange.check("LayerNorm input", x, xOffset, length);
        ArrayRange.check("LayerNorm weight", weight, weightOffset, length);
        if (bias != null) {
            ArrayRange.check("LayerNorm bias", bias, biasOffset, length);
        }
        ArrayRange.check("LayerNorm output", out, outOffset, length);
    }
}
