package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax in place over a range, numerically stable: the maximum is subtracted before
 * exponentiating, so no term overflows. Entries of −∞ (masked positions) become 0; a range that
 * is all −∞ has no softmax and becomes NaN.
 */
public final class Softmax {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Softmax() {
    }

    /** Replaces {@code x[offset .. offset + length)} by its softmax. */
    public static void apply(float[] x, int offset, int length) {
        check(x, offset, length);
        int lanes = F.length();
        int bound = F.loopBound(length);
        FloatVector maxV = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += lanes) {
            maxV = maxV.max(FloatVector.fromArray(F, x, offset + i));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; i < length; i++) {
            max = Math.max(max, x[offset + i]);
        }
        FloatVector sumV = FloatVector.zero(F);
        for (i = 0; i < bound; i += lanes) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, x, offset + i).sub(max));
            e.intoArray(x, offset + i);
            sumV = sumV.add(e);
        }
        float sum = LaneSum.of(sumV);
        for (; i < length; i++) {
            float e = VectorExp.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inv = 1 / sum;
        for (i = 0; i < bound; i += lanes) {
            FloatVector.fromArray(F, x, offset + i).mul(inv).intoArray(x, offset + i);
        }
        for (; i < length; i++) {
            x[offset + i] *= inv;
        }
    }

    /** Scalar twin of {@link #apply}; sums in double. */
    public static void applyReference(float[] x, int offset, int length) {
        check(x, offset, length);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            max = Math.max(max, x[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < length; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inv = (float) (1 / sum);
        for (int i = 0; i < length; i++) {
            x[offset + i] *= inv;
        }
    }

    private static void check(float[] x, int offset, int length) {
        if (length <= 0) {
            throw new IllegalArgumentException("softmax needs a positive length, got " + length);
        }
        ArrayRange.check("softmax", x, offset, length);
    }
}
