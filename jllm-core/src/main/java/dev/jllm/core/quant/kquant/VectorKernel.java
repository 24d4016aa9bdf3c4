package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Vector API kernel. The K-quant byte rows are 32 bytes wide, so bytes are loaded a
 * {@link #CHUNK} of 32 at a time and widened {@link #LANES} at a time (part {@code p} of the
 * chunk) into float vectors of the preferred width (16 floats where the machine has them, else
 * 8; the code holds for any lane count that divides 32).
 *
 * <p>Nibble types (Q4_K, Q5_K) instead widen {@link #LANES} bytes to ints once and cut both
 * nibbles with int operations, which costs fewer shuffles than widening each nibble plane from
 * bytes (measured 5-15% faster for Q4_K).
 *
 * <p>The dot products read a row through one {@code asSlice} view and write the chunks of a
 * super-block out rather than looping over them: loops over chunks compiled with much more
 * overhead (in some compilations C2 also kept segment liveness and class checks inside them).
 *
 * <p>Two rules keep C2 from boxing vectors, which costs a factor of ten: species are static
 * constants, and the hot loops call Vector API methods directly rather than through small helper
 * methods of our own. The API's methods are force-inlined, whereas a helper can be refused by
 * C2's inlining node budget (NodeCountInliningCutoff), after which every vector it takes or
 * returns is boxed. Byte shifts go through int lanes because x86 has no byte shift; the bits
 * that move across byte boundaries are always masked off afterwards.
 *
 * <p>Conversions name their target species ({@code convertShape(I2F, F, 0)}), never
 * {@code convert(I2F, 0)}: {@code convert} derives the species inside the API through calls
 * whose type profiles every kernel in the JVM shares. Once other types have run, C2 no longer
 * folds that species, misses the conversion intrinsic and boxes (Q5_K ran 2.3x slower after the
 * other types than alone).
 */
abstract class VectorKernel extends KQuantKernel {
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Byte order of the block fields. */
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Float species of the arithmetic. */
    static final VectorSpecies<Float> F =
            FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    /** Lanes per float vector. */
    static final int LANES = F.length();
    /** A 32-byte row of a block. */
    static final VectorSpecies<Byte> CHUNK = ByteVector.SPECIES_256;
    /** Float vectors per chunk. */
    static final int PARTS = 32 / LANES;
    /** {@link #LANES} bytes, which widen to one int vector. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));
    /** Int lanes matching {@link #F}. */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Sixteen bytes: the decoded scales and mins of a Q4_K/Q5_K super-block. */
    static final VectorSpecies<Long> PACKED = LongVector.SPECIES_128;
    /** Lanes 0..LANES-1 as floats: at 16 lanes, the sixteen 4-bit codes a lookup table is built over. */
    static final FloatVector CODES_LOW = FloatVector.fromArray(F, codes(), 0);
    /** Lanes {@code 8..15}: where a decoded scale/min vector holds the mins (empty below 16 lanes). */
    static final VectorMask<Float> MIN_LANES = VectorMask.fromLong(F, 0xFF00L);

    private static float[] codes() {
        float[] codes = new float[LANES];
        for (int i = 0; i < LANES; i++) {
            codes[i] = i;
        }
        return codes;
    }

    VectorKernel(DType type) {
        super(type);
    }

    /**
     * Unpacks the eight 6-bit scales and eight 6-bit mins of a Q4_K/Q5_K 12-byte field at
     * {@code at} (GGML's get_scale_min_k4) with two wide reads.
     */
    static void unpackK4(MemorySegment seg, long at, int[] scales, int[] mins) {
        long lo = seg.get(LONG, at);
        int hi = seg.get(INT, at + 8);
        for (int j = 0; j < 4; j++) {
            int sj = (int) (lo >>> (8 * j)) & 0xFF;
            int mj = (int) (lo >>> (8 * j + 32)) & 0xFF;
            int hj = (hi >>> (8 * j)) & 0xFF;
            scales[j] = sj & 63;
            mins[j] = mj & 63;
            scales[j + 4] = (hj & 0xF) | ((sj >>> 6) << 4);
            mins[j + 4] = (hj >>> 4) | ((mj >>> 6) << 4);
        }
    }

    /**
     * The eight 6-bit scales of a Q4_K/Q5_K 12-byte field, one per byte (scale j in byte j),
     * from the field's first eight bytes {@code lo} and last four {@code hi}: scalar bit
     * arithmetic on whole words instead of sixteen single-byte extractions.
     */
    static long packedScalesK4(long lo, int hi) {
        int low = (int) lo & 0x3F3F3F3F;
        int high = (hi & 0x0F0F0F0F) | ((int) (lo >>> 2) & 0x30303030);
        return (low & 0xFFFFFFFFL) | ((long) high << 32);
    }

    /** The eight 6-bit mins of a Q4_K/Q5_K 12-byte field, one per byte; see {@link #packedScalesK4}. */
    static long packedMinsK4(long lo, int hi) {
        int low = (int) (lo >>> 32) & 0x3F3F3F3F;
        int high = ((hi >>> 4) & 0x0F0F0F0F) | ((int) (lo >>> 34) & 0x30303030);
        return (low & 0xFFFFFFFFL) | ((long) high << 32);
    }

    /** Unpacks the sixteen signed scales (already minus 32) of a Q3_K 12-byte field at {@code at}. */
    static void unpackQ3(MemorySegment seg, long at, int[] scales) {
        long lo = seg.get(LONG, at);
        int hi = seg.get(INT, at + 8);
        for (int j = 0; j < 16; j++) {
            int low = (int) (lo >>> (8 * (j & 7) + 4 * (j >>> 3))) & 0xF;
            int high = (hi >>> (8 * (j & 3) + 2 * (j >>> 2))) & 3;
            scales[j] = (low | (high << 4)) - 32;
        }
    }
}
