package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Root-mean-square normalisation (Zhang and Sennrich 2019), as LLaMA uses it:
 * out[i] = x[i] · w[i] / sqrt(mean(x²) + eps). {@code out} may be {@code x} at the same offset.
 */
public final class RmsNorm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private RmsNorm() {
    }

    /** Normalises {@code x[xOffset ..]} into {@code out[outOffset ..]} with weights {@code weight[weightOffset ..]}. */
    public static void apply(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int weightOffset,
            int length, float eps) {
        check(out, outOffset, x, xOffset, weight, weightOffset, length);
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int lanes = F.length();
        int i = 0;
        for (; i <= length - 2 * lanes; i += 2 * lanes) {
            FloatVector a = FloatVector.fromArray(F, x, xOffset + i);
            FloatVector b = FloatVector.fromArray(F, x, xOffset + i + lanes);
            acc0 = a.fma(a, acc0);
            acc1 = b.fma(b, acc1);
        }
        float sum = LaneSum.of(acc0.add(acc1));
        for (; i < length; i++) {
            sum += x[xOffset + i] * x[xOffset + i];
        }
        float scale = (float) (1.0 / Math.sqrt(sum / length + eps));
        i = 0;
        for (int bound = F.loopBound(length); i < bound; i += lanes) {
            FloatVector.fromArray(F, x, xOffset + i).mul(scale).mul(FloatVector.fromArray(F, weight, weightOffset + i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = x[xOffset + i] * scale * weight[weightOffset + i];
        }
    }

    /** Scalar twin of {@link #apply}; sums the squares in double. */
    public static void applyReference(float[] out, int outOffset, float[] x, int xOffset, float[] weight,
            int weightOffset, int length, float eps) {
        check(out, outOffset, x, xOffset, weight, weightOffset, length);
        double sum = 0;
        for (int i = 0; i < length; i++) {
            sum += (double) x[xOffset + i] * x[xOffset + i];
        }
        float scale = (float) (1.0 / Math.sqrt(sum / length + eps));
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = x[xOffset + i] * scale * weight[weightOffset + i];
        }
    }

    private static void check(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int weightOffset,
            int length) {
        if (length <= 0) {
            throw new IllegalArgumentException("RMSNorm needs a positive length, got " + length);
        }
        ArrayRange.check("RMSNorm input", x, xOffset, length);
        ArrayRange.check("RMSNorm weight", weight, weightOffset, length);
        ArrayRange.check("RMSNorm output", out, outOffset, length);
    }
}
