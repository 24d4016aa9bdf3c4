package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The error function, which {@code java.lang.Math} lacks.
 *
 * <p>{@link #erf(double)} is accurate to double precision: its Maclaurin series below 2.5 and
 * Laplace's continued fraction for erfc above. The vector form covers |x| &lt; 4 with 16 pieces
 * of width 1/4, on each of which erf(x)/x is a degree-5 polynomial interpolating at Chebyshev
 * nodes (fitted when the class loads, from the double function); beyond 4, erf rounds to ±1 in
 * float. Dividing out x keeps the relative error small near zero.
 */
public final class Erf {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int PIECES = 16;
    private static final float PIECES_PER_UNIT = 4f;
    private static final int DEGREE = 5;
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    /** coefficient[k][piece]: the u^k coefficient of piece's polynomial in u ∈ [−1, 1]. */
    private static final float[][] COEFFICIENTS = fit();
    private static final boolean VECTOR_LOOKUP = F.length() == 8 || F.length() >= 16;
    private static final FloatVector[] TABLE_LOW = new FloatVector[DEGREE + 1];
    private static final FloatVector[] TABLE_HIGH = new FloatVector[DEGREE + 1];

    static {
        int lanes = F.length();
        for (int k = 0; k <= DEGREE; k++) {
            float[] low = new float[lanes];
            float[] high = new float[lanes];
            for (int p = 0; p < PIECES; p++) {
                if (p < lanes) {
                    low[p] = COEFFICIENTS[k][p];
                } else if (p - lanes < lanes) {
                    high[p - lanes] = COEFFICIENTS[k][p];
                }
            }
            TABLE_LOW[k] = FloatVector.fromArray(F, low, 0);
            TABLE_HIGH[k] = FloatVector.fromArray(F, high, 0);
        }
    }

    private Erf() {
    }

    /** erf(x) to about double precision. */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r;
        if (a < 2.5) {
            // Σ (−1)^n x^(2n+1) / (n! (2n+1)), terms computed by recurrence
            double term = a;
            double sum = a;
            double a2 = a * a;
            for (int n = 1; n < 200; n++) {
                term *= -a2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = TWO_OVER_SQRT_PI * sum;
        } else if (a < 6) {
            // erfc(a) = exp(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated from the tail
            double f = a;
            for (int k = 120; k >= 1; k--) {
                f = a + (k / 2.0) / f;
            }
            r = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
        } else {
            r = 1;
        }
        return Math.copySign(r, x);
    }

    /** erf(x) rounded to float. */
    public static float erf(float x) {
        return (float) erf((double) x);
    }

    /** erf of each lane, with an error of a few float ulps. */
    public static FloatVector erf(FloatVector x) {
        if (!VECTOR_LOOKUP) {
            return scalarLanes(x);
        }
        FloatVector a = x.abs();
        FloatVector scaled = a.mul(PIECES_PER_UNIT);
        // piece index, clamped so that NaN and large inputs read a valid piece (their lanes are replaced below)
        FloatVector clamped = scaled.min(PIECES - 1f);
        clamped = clamped.blend(0f, clamped.test(VectorOperators.IS_NAN));
        // truncation is floor here: the values are not negative
        FloatVector piece = (FloatVector) clamped.convert(VectorOperators.F2I, 0).convert(VectorOperators.I2F, 0);
        FloatVector u = scaled.sub(piece).mul(2f).sub(1f);
        FloatVector p = lookUp(piece, DEGREE);
        for (int k = DEGREE - 1; k >= 0; k--) {
            p = p.fma(u, lookUp(piece, k));
        }
        FloatVector r = a.mul(p).min(1f);
        VectorMask<Float> saturated = a.compare(VectorOperators.GE, (float) PIECES / PIECES_PER_UNIT);
        r = r.blend(FloatVector.broadcast(F, 1f), saturated);
        // copy the sign bit of x (NaN lanes stay NaN: a·p is NaN there)
        IntVector sign = x.reinterpretAsInts().and(0x80000000);
        return r.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    private static FloatVector lookUp(FloatVector piece, int k) {
        return F.length() >= PIECES ? piece.selectFrom(TABLE_LOW[k]) : piece.selectFrom(TABLE_LOW[k], TABLE_HIGH[k]);
    }

    private static FloatVector scalarLanes(FloatVector x) {
        float[] a = x.toArray();
        for (int i = 0; i < a.length; i++) {
            a[i] = erf(a[i]);
        }
        return FloatVector.fromArray(F, a, 0);
    }

    /** Fits erf(x)/x on each piece by interpolation at Chebyshev nodes, as monomials in u. */
    private static float[][] fit() {
        int n = DEGREE + 1;
        float[][] c = new float[n][PIECES];
        // monomial coefficients of the Chebyshev polynomials T_0 .. T_DEGREE
        double[][] t = new double[n][n];
        t[0][0] = 1;
        t[1][1] = 1;
        for (int j = 2; j < n; j++) {
            for (int k = 0; k < n; k++) {
                t[j][k] = (k > 0 ? 2 * t[j - 1][k - 1] : 0) - t[j - 2][k];
            }
        }
        for (int p = 0; p < PIECES; p++) {
            double[] values = new double[n];
            double[] nodes = new double[n];
            for (int m = 0; m < n; m++) {
                nodes[m] = Math.cos(Math.PI * (m + 0.5) / n);
                double xv = (p + (nodes[m] + 1) / 2) / PIECES_PER_UNIT;
                values[m] = erf(xv) / xv;
            }
            double[] monomial = new double[n];
            for (int j = 0; j < n; j++) {
                double cj = 0;
                for (int m = 0; m < n; m++) {
                    cj += values[m] * Math.cos(j * Math.PI * (m + 0.5) / n);
                }
                cj *= (j == 0 ? 1.0 : 2.0) / n;
                for (int k = 0; k < n; k++) {
                    monomial[k] += cj * t[j][k];
                }
            }
            for (int k = 0; k < n; k++) {
                c[k][p] = (float) monomial[k];
            }
        }
        return c;
    }
}
