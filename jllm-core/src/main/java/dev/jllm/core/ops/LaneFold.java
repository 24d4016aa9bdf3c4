package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums many accumulators' lanes at once: a tree of folds turns L vectors of the preferred species (L its
 * lane count) into one vector whose lane i is the sum of vector i's lanes. Each fold halves the lane
 * groups of two vectors and packs both into one, so L sums cost L − 1 folds of two lane selections and one
 * add each, where summing each vector alone costs a store and L scalar additions.
 *
 * <p>Level k ({@code 1 ≤ k ≤ log2 L}) expects groups of {@code L >> (k−1)} lanes, each group one
 * accumulator's partial sums, and gives groups half as wide: {@code fold1(a, b)} holds a's sums in its
 * first L/2 lanes and b's in the rest, {@code fold2(fold1(a, b), fold1(c, d))} quarters for a, b, c, d,
 * and so on. The order of the additions is fixed (the selections are exact), so results do not change when
 * the JIT compiles the code.
 */
public final class LaneFold {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The lane count of the preferred species; {@link #sums16} needs 16. */
    public static final int LANES = F.length();
    // the lane selections of the four levels (groups of 16, 8, 4 and 2 lanes halved)
    private static final FloatVector FIRST_1 = indexes(LANES, false);
    private static final FloatVector SECOND_1 = indexes(LANES, true);
    private static final FloatVector FIRST_2 = indexes(LANES >> 1, false);
    private static final FloatVector SECOND_2 = indexes(LANES >> 1, true);
    private static final FloatVector FIRST_3 = indexes(Math.max(2, LANES >> 2), false);
    private static final FloatVector SECOND_3 = indexes(Math.max(2, LANES >> 2), true);
    private static final FloatVector FIRST_4 = indexes(Math.max(2, LANES >> 3), false);
    private static final FloatVector SECOND_4 = indexes(Math.max(2, LANES >> 3), true);

    private LaneFold() {
    }

    /**
     * Lane i of the result: for groups of {@code group} lanes in the pair (a, b) read as 2L lanes, the first
     * (or second) half of group i / (group/2), element i % (group/2).
     */
    private static FloatVector indexes(int group, boolean second) {
        int half = group / 2;
        float[] idx = new float[LANES];
        for (int i = 0; i < LANES; i++) {
            idx[i] = (i / half) * group + i % half + (second ? half : 0);
        }
        return FloatVector.fromArray(F, idx, 0);
    }

    /**
     * The lane sums of {@link #LANES} vectors stored one after another from {@code src[at]}: {@code dst[dstAt + i]}
     * is the sum of vector i's lanes. Vectors are passed through an array because C2 stops inlining into a large
     * method, and a vector passed to a method that is not inlined is boxed; this method, compiled alone, keeps
     * its tree in registers.
     *
     * @throws IllegalStateException if the preferred species does not have 16 lanes (the only tree written out)
     */
    public static void sums16(float[] src, int at, float[] dst, int dstAt) {
        if (LANES != 16) {
            throw new IllegalStateException("sums16 needs 16-lane vectors, the preferred species has " + LANES);
        }
        // written out, no helper per fold: the Vector API's methods are always inlined, ours only within C2's node budget
        FloatVector v0 = FloatVector.fromArray(F, src, at + 0);
        FloatVector v1 = FloatVector.fromArray(F, src, at + 16);
        FloatVector b0 = FIRST_1.selectFrom(v0, v1).add(SECOND_1.selectFrom(v0, v1));
        FloatVector v2 = FloatVector.fromArray(F, src, at + 32);
        FloatVector v3 = FloatVector.fromArray(F, src, at + 48);
        FloatVector b1 = FIRST_1.selectFrom(v2, v3).add(SECOND_1.selectFrom(v2, v3));
        FloatVector v4 = FloatVector.fromArray(F, src, at + 64);
        FloatVector v5 = FloatVector.fromArray(F, src, at + 80);
        FloatVector b2 = FIRST_1.selectFrom(v4, v5).add(SECOND_1.selectFrom(v4, v5));
        FloatVector v6 = FloatVector.fromArray(F, src, at + 96);
        FloatVector v7 = FloatVector.fromArray(F, src, at + 112);
        FloatVector b3 = FIRST_1.selectFrom(v6, v7).add(SECOND_1.selectFrom(v6, v7));
        FloatVector v8 = FloatVector.fromArray(F, src, at + 128);
        FloatVector v9 = FloatVector.fromArray(F, src, at + 144);
        FloatVector b4 = FIRST_1.selectFrom(v8, v9).add(SECOND_1.selectFrom(v8, v9));
        FloatVector v10 = FloatVector.fromArray(F, src, at + 160);
        FloatVector v11 = FloatVector.fromArray(F, src, at + 176);
        FloatVector b5 = FIRST_1.selectFrom(v10, v11).add(SECOND_1.selectFrom(v10, v11));
        FloatVector v12 = FloatVector.fromArray(F, src, at + 192);
        FloatVector v13 = FloatVector.fromArray(F, src, at + 208);
        FloatVector b6 = FIRST_1.selectFrom(v12, v13).add(SECOND_1.selectFrom(v12, v13));
        FloatVector v14 = FloatVector.fromArray(F, src, at + 224);
        FloatVector v15 = FloatVector.fromArray(F, src, at + 240);
        FloatVector b7 = FIRST_1.selectFrom(v14, v15).add(SECOND_1.selectFrom(v14, v15));
        FloatVector c0 = FIRST_2.selectFrom(b0, b1).add(SECOND_2.selectFrom(b0, b1));
        FloatVector c1 = FIRST_2.selectFrom(b2, b3).add(SECOND_2.selectFrom(b2, b3));
        FloatVector c2 = FIRST_2.selectFrom(b4, b5).add(SECOND_2.selectFrom(b4, b5));
        FloatVector c3 = FIRST_2.selectFrom(b6, b7).add(SECOND_2.selectFrom(b6, b7));
        FloatVector d0 = FIRST_3.selectFrom(c0, c1).add(SECOND_3.selectFrom(c0, c1));
        FloatVector d1 = FIRST_3.selectFrom(c2, c3).add(SECOND_3.selectFrom(c2, c3));
        FIRST_4.selectFrom(d0, d1).add(SECOND_4.selectFrom(d0, d1)).intoArray(dst, dstAt);
    }
}
