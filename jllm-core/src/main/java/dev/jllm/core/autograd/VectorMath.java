package dev.jllm.core.autograd;

import dev.jllm.core.ops.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The SIMD loops backward passes share: accumulate, multiply-accumulate, dot product. */
final class VectorMath {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();

    private VectorMath() {
    }

    /** dst[d + i] += src[s + i]. */
    static void addInto(float[] src, int s, float[] dst, int d, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, dst, d + i).add(FloatVector.fromArray(F, src, s + i)).intoArray(dst, d + i);
        }
        for (; i < len; i++) {
            dst[d + i] += src[s + i];
        }
    }

    /** dst[d + i] += a[ao + i] · b[bo + i]. */
    static void mulAddInto(float[] a, int ao, float[] b, int bo, float[] dst, int d, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i),
                    FloatVector.fromArray(F, dst, d + i)).intoArray(dst, d + i);
        }
        for (; i < len; i++) {
            dst[d + i] = Math.fma(a[ao + i], b[bo + i], dst[d + i]);
        }
    }

    /** dst[d + i] += s · a[ao + i]. */
    static void scaleAddInto(float s, float[] a, int ao, float[] dst, int d, int len) {
        FloatVector sv = FloatVector.broadcast(F, s);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, a, ao + i).fma(sv, FloatVector.fromArray(F, dst, d + i)).intoArray(dst, d + i);
        }
        for (; i < len; i++) {
            dst[d + i] = Math.fma(s, a[ao + i], dst[d + i]);
        }
    }

    /** Σ a[ao + i] · b[bo + i], in two vector accumulators then the tail. */
    static float dot(float[] a, int ao, float[] b, int bo, int len) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i <= len - 2 * L; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(F, a, ao + i + L).fma(FloatVector.fromArray(F, b, bo + i + L), acc1);
        }
        for (; i <= len - L; i += L) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
        }
        float sum = LaneSum.of(acc0.add(acc1));
        for (; i < len; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** Σ a[ao + i]. */
    static float sum(float[] a, int ao, int len) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            acc = acc.add(FloatVector.fromArray(F, a, ao + i));
        }
        float sum = LaneSum.of(acc);
        for (; i < len; i++) {
            sum += a[ao + i];
        }
        return sum;
    }
}
