package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The activation functions of transformer MLPs, element-wise on float ranges, each with a scalar
 * twin computed in double: SiLU, GELU (tanh approximation and exact, with erf) and SwiGLU.
 * Outputs may alias inputs at the same offset.
 */
public final class Activations {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float GELU_CUBIC = 0.044715f;
    private static final float INV_SQRT_2 = (float) (1 / Math.sqrt(2));

    private Activations() {
    }

    /** out[i] = silu(x[i]) = x / (1 + e^−x). */
    public static void silu(float[] out, int outOffset, float[] x, int xOffset, int length) {
        checkTwo("SiLU", out, outOffset, x, xOffset, length);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            silu(FloatVector.fromArray(F, x, xOffset + i)).intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = silu(x[xOffset + i]);
        }
    }

    /** Scalar twin of {@link #silu(float[], int, float[], int, int)}. */
    public static void siluReference(float[] out, int outOffset, float[] x, int xOffset, int length) {
        checkTwo("SiLU", out, outOffset, x, xOffset, length);
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = silu(x[xOffset + i]);
        }
    }

    /** out[i] = silu(gate[i]) · up[i], the gated unit of LLaMA's MLP. */
    public static void swiglu(float[] out, int outOffset, float[] gate, int gateOffset, float[] up, int upOffset,
            int length) {
        checkThree(out, outOffset, gate, gateOffset, up, upOffset, length);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            silu(FloatVector.fromArray(F, gate, gateOffset + i)).mul(FloatVector.fromArray(F, up, upOffset + i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = silu(gate[gateOffset + i]) * up[upOffset + i];
        }
    }

    /** Scalar twin of {@link #swiglu}. */
    public static void swigluReference(float[] out, int outOffset, float[] gate, int gateOffset, float[] up,
            int upOffset, int length) {
        checkThree(out, outOffset, gate, gateOffset, up, upOffset, length);
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = silu(gate[gateOffset + i]) * up[upOffset + i];
        }
    }

    /** out[i] = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's GELU. */
    public static void geluTanh(float[] out, int outOffset, float[] x, int xOffset, int length) {
        checkTwo("GELU", out, outOffset, x, xOffset, length);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i);
            // 0.5·(1 + tanh(y)) = 1 / (1 + e^(−2y)): one exponential, no cancellation
            FloatVector y2 = v.mul(v).mul(GELU_CUBIC).add(1f).mul(v).mul(-2 * SQRT_2_OVER_PI);
            v.div(VectorExp.exp(y2).add(1f)).intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = geluTanh(x[xOffset + i]);
        }
    }

    /** Scalar twin of {@link #geluTanh(float[], int, float[], int, int)}. */
    public static void geluTanhReference(float[] out, int outOffset, float[] x, int xOffset, int length) {
        checkTwo("GELU", out, outOffset, x, xOffset, length);
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = geluTanh(x[xOffset + i]);
        }
    }

    /** out[i] = 0.5·x·(1 + erf(x/√2)), the exact GELU. */
    public static void geluErf(float[] out, int outOffset, float[] x, int xOffset, int length) {
        checkTwo("GELU", out, outOffset, x, xOffset, length);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i);
            v.mul(0.5f).mul(Erf.erf(v.mul(INV_SQRT_2)).add(1f)).intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = geluErf(x[xOffset + i]);
        }
    }

    /** Scalar twin of {@link #geluErf(float[], int, float[], int, int)}. */
    public static void geluErfReference(float[] out, int outOffset, float[] x, int xOffset, int length) {
        checkTwo("GELU", out, outOffset, x, xOffset, length);
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = geluErf(x[xOffset + i]);
        }
    }

    /** silu(x) computed in double. */
    public static float silu(float x) {
        return (float) (x / (1 + Math.exp(-(double) x)));
    }

    /**
     * GELU's tanh approximation computed in double, as x·sigmoid(2y) = 0.5·x·(1 + tanh(y)), which
     * keeps its accuracy where tanh(y) rounds to −1.
     */
    public static float geluTanh(float x) {
        double d = x;
        double y = Math.sqrt(2 / Math.PI) * (d + 0.044715 * d * d * d);
        return (float) (d / (1 + Math.exp(-2 * y)));
    }

    /** The exact GELU computed in double. */
    public static float geluErf(float x) {
        double d = x;
        return (float) (0.5 * d * (1 + Erf.erf(d / Math.sqrt(2))));
    }

    private static FloatVector silu(FloatVector x) {
        return x.div(VectorExp.exp(x.neg()).add(1f));
    }

    private static void checkTwo(String op, float[] out, int outOffset, float[] x, int xOffset, int length) {
        ArrayRange.check(op + " output", out, outOffset, length);
        ArrayRange.check(op + " input", x, xOffset, length);
    }

    private static void checkThree(float[] out, int outOffset, float[] gate, int gateOffset, float[] up, int upOffset,
            int length) {
        ArrayRange.check("SwiGLU output", out, outOffset, length);
        ArrayRange.check("SwiGLU gate", gate, gateOffset, length);
        ArrayRange.check("SwiGLU up", up, upOffset, length);
    }
}
