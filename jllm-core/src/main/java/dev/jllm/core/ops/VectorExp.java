package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x for float vectors built from exactly rounded operations only (fused multiply-add, add, multiply,
 * bit shifts), so every lane gives the same bits whether C2 has compiled the code or not, on every
 * CPU. The Vector API's own {@code EXP} calls a vendor library once compiled and {@code Math.exp}
 * before, which differ in the last bit: enough to make a training run depend on when the JIT struck.
 *
 * <p>Method (as Cephes' {@code expf}): x = n·ln 2 + r with n = round(x/ln 2) and |r| ≤ ln2/2 (ln 2 in two
 * parts), e^r by a degree-7 polynomial, and 2^n put into the exponent bits. Relative error below
 * 2·10⁻⁷ over the float range; inputs below −87.3 (including −∞) give 0, above 88.37 give +∞.
 */
public final class VectorExp {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    // adding 1.5·2^23 rounds to an integer held in the low mantissa bits
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = 0x4B400000;
    private static final float MAX = 88.37626f;
    private static final float MIN = -87.33654f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private VectorExp() {
    }

    /** e^x of every lane. */
    public static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(MIN).min(MAX);
        FloatVector t = c.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(x.species(), -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
        var species = x.species();
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(species, P2));
        p = p.fma(r, FloatVector.broadcast(species, P3));
        p = p.fma(r, FloatVector.broadcast(species, P4));
        p = p.fma(r, FloatVector.broadcast(species, P5));
        FloatVector r2 = r.mul(r);
        p = p.fma(r2, r).add(1f);
        IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS).add(127)
                .lanewise(VectorOperators.LSHL, 23);
        FloatVector y = p.mul(bits.reinterpretAsFloats());
        y = y.blend(0f, x.compare(VectorOperators.LT, MIN));
        return y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, MAX));
    }

    /** The same computation for one value (the scalar twin: identical bits to a vector lane). */
    public static float exp(float x) {
        if (x < MIN) {
            return 0f;
        }
        if (x > MAX) {
            return Float.POSITIVE_INFINITY;
        }
        if (Float.isNaN(x)) {
            return x;
        }
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float r2 = r * r;
        p = Math.fma(p, r2, r) + 1f;
        int bits = (Float.floatToRawIntBits(t) - ROUNDER_BITS + 127) << 23;
        return p * Float.intBitsToFloat(bits);
    }
}
