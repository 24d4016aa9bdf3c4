package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;

/**
 * The sum of a float vector's lanes in one fixed order (halves added pairwise, as a tree). The Vector
 * API's {@code reduceLanes(ADD)} may add in any order and does: C2's compiled reduction and the
 * interpreted one differ in the last bit, which made training losses depend on when the JIT struck.
 */
public final class LaneSum {
    private LaneSum() {
    }

    /** lanes[0] + … + lanes[L−1], summed as ((l0 + l(L/2)) + …) halving the width each round. */
    public static float of(FloatVector v) {
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
