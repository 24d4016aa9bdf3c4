package dev.jllm.core.quant.legacy;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes of the 32-block kernels. A block's codes are handled as two halves of 16
 * (GGML stores elements j and j + 16 in one byte), so bytes are loaded 16 at a time and widened
 * to floats in {@link #PARTS} pieces of {@link #FLOAT_LANES}: one piece on AVX-512, two on AVX2.
 */
final class LegacySpecies {
    private LegacySpecies() {
    }

    /** 16 bytes: half a block of codes. */
    static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_128;
    /** Floats: the preferred width, capped at 16 lanes since 16 codes are widened at a time. */
    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED.length() >= 16
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    /** Ints of the same shape as {@link #FLOATS}. */
    static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    /** Lanes of {@link #FLOATS}. */
    static final int FLOAT_LANES = FLOATS.length();
    /** Float vectors per 16 codes. */
    static final int PARTS = 16 / FLOAT_LANES;

    /**
     * The bits of the float 2^23: OR-ing a code 0 ≤ v < 2^23 into them gives the float 2^23 + v,
     * so subtracting {@link #TWO_POW_23} (plus the code offset) turns codes into floats exactly,
     * cheaper than an int-to-float conversion.
     */
    static final int TWO_POW_23_BITS = 0x4B000000;
    /** 2^23 as a float. */
    static final float TWO_POW_23 = 8388608f;

    /** Little-endian binary16 as GGML stores scales. */
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Little-endian uint32 as 5-bit blocks store their fifth bits. */
    static final ValueLayout.OfInt QH = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Lane j holds 1 << j: with qh shifted right by the first element of a part, selects each lane's fifth bit. */
    static final IntVector LANE_BITS = laneBits();

    private static IntVector laneBits() {
        int[] bits = new int[FLOAT_LANES];
        for (int j = 0; j < FLOAT_LANES; j++) {
            bits[j] = 1 << j;
        }
        return IntVector.fromArray(INTS, bits, 0);
    }
}
