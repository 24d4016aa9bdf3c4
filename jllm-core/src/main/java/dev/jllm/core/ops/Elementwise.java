package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise arithmetic on float ranges: add, mul, scale and axpy, each with a scalar twin
 * ({@code ...Reference}). Outputs may alias inputs at the same offset.
 */
public final class Elementwise {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Elementwise() {
    }

    /** out[i] = a[i] + b[i]. */
    public static void add(float[] out, int outOffset, float[] a, int aOffset, float[] b, int bOffset, int length) {
        checkThree(out, outOffset, a, aOffset, b, bOffset, length);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            FloatVector.fromArray(F, a, aOffset + i).add(FloatVector.fromArray(F, b, bOffset + i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = a[aOffset + i] + b[bOffset + i];
        }
    }

    /** Scalar twin of {@link #add}. */
    public static void addReference(float[] out, int outOffset, float[] a, int aOffset, float[] b, int bOffset,
            int length) {
        checkThree(out, outOffset, a, aOffset, b, bOffset, length);
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = a[aOffset + i] + b[bOffset + i];
        }
    }

    /** out[i] = a[i] · b[i]. */
    public static void mul(float[] out, int outOffset, float[] a, int aOffset, float[] b, int bOffset, int length) {
        checkThree(out, outOffset, a, aOffset, b, bOffset, length);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            FloatVector.fromArray(F, a, aOffset + i).mul(FloatVector.fromArray(F, b, bOffset + i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = a[aOffset + i] * b[bOffset + i];
        }
    }

    /** Scalar twin of {@link #mul}. */
    public static void mulReference(float[] out, int outOffset, float[] a, int aOffset, float[] b, int bOffset,
            int length) {
        checkThree(out, outOffset, a, aOffset, b, bOffset, length);
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = a[aOffset + i] * b[bOffset + i];
        }
    }

    /** out[i] = s · x[i]. */
    public static void scale(float[] out, int outOffset, float[] x, int xOffset, float s, int length) {
        ArrayRange.check("scale output", out, outOffset, length);
        ArrayRange.check("scale input", x, xOffset, length);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).mul(s).intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = s * x[xOffset + i];
        }
    }

    /** Scalar twin of {@link #scale}. */
    public static void scaleReference(float[] out, int outOffset, float[] x, int xOffset, float s, int length) {
        ArrayRange.check("scale output", out, outOffset, length);
        ArrayRange.check("scale input", x, xOffset, length);
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = s * x[xOffset + i];
        }
    }

    /** y[i] += a · x[i] (BLAS axpy; fused multiply-add). */
    public static void axpy(float a, float[] x, int xOffset, float[] y, int yOffset, int length) {
        ArrayRange.check("axpy x", x, xOffset, length);
        ArrayRange.check("axpy y", y, yOffset, length);
        FloatVector av = FloatVector.broadcast(F, a);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).fma(av, FloatVector.fromArray(F, y, yOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < length; i++) {
            y[yOffset + i] = Math.fma(a, x[xOffset + i], y[yOffset + i]);
        }
    }

    /** Scalar twin of {@link #axpy}. */
    public static void axpyReference(float a, float[] x, int xOffset, float[] y, int yOffset, int length) {
        ArrayRange.check("axpy x", x, xOffset, length);
        ArrayRange.check("axpy y", y, yOffset, length);
        for (int i = 0; i < length; i++) {
            y[yOffset + i] = Math.fma(a, x[xOffset + i], y[yOffset + i]);
        }
    }

    private static void checkThree(float[] out, int outOffset, float[] a, int aOffset, float[] b, int bOffset,
            int length) {
        ArrayRange.check("output", out, outOffset, length);
        ArrayRange.check("first operand", a, aOffset, length);
        ArrayRange.check("second operand", b, bOffset, length);
    }
}
