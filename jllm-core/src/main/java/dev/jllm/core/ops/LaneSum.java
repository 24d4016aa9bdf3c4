package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order (halves added pairwise, as a tree). The Vector
 * API's {@code reduceLanes(ADD)} may add in any order and does: C2's compiled reduction and the
 * interpreted one differ in the last bit, which made training losses depend on when the JIT struck.
 *
 * <p>For the preferred species each halving is one constant lane permutation and one add; a slice
 * by a varying width, as other species use, is not compiled to vector code and cost more than the
 * dot products it finished.
 */
public final class LaneSum {
    private static final VectorSpecies<Float> PREFERRED = FloatVector.SPECIES_PREFERRED;
    private static final VectorShuffle<Float> HALF = down(PREFERRED.length() / 2);
    private static final VectorShuffle<Float> QUARTER = down(Math.max(1, PREFERRED.length() / 4));
    private static final VectorShuffle<Float> EIGHTH = down(Math.max(1, PREFERRED.length() / 8));
    private static final VectorShuffle<Float> SIXTEENTH = down(Math.max(1, PREFERRED.length() / 16));

    private LaneSum() {
    }

    /** Lane i takes lane i + width (wrapping: the lanes past the live ones are never read). */
    private static VectorShuffle<Float> down(int width) {
        return VectorShuffle.fromOp(PREFERRED, i -> (i + width) % PREFERRED.length());
    }

    /** lanes[0] + … + lanes[L−1], summed as ((l0 + l(L/2)) + …) halving the width each round. */
    public static float of(FloatVector v) {
        if (v.species() == PREFERRED && PREFERRED.length() == 16) {
            FloatVector s = v.add(v.rearrange(HALF));
            s = s.add(s.rearrange(QUARTER));
            s = s.add(s.rearrange(EIGHTH));
            s = s.add(s.rearrange(SIXTEENTH));
            return s.lane(0);
        }
        if (v.species() == PREFERRED && PREFERRED.length() == 8) {
            FloatVector s = v.add(v.rearrange(HALF));
            s = s.add(s.rearrange(QUARTER));
            s = s.add(s.rearrange(EIGHTH));
            return s.lane(0);
        }
        int width = v.length();
        FloatVector s = v;
        while (width > 1) {
            width >>= 1;
            // slice(width) moves lanes width.. to the front and pads with zeros, so lane i adds lane i + width
            s = s.add(s.slice(width));
        }
        return s.lane(0);
    }
}
