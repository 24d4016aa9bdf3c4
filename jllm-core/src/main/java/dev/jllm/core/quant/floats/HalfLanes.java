package dev.jllm.core.quant.floats;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Loads 16-bit floats (binary16 or bfloat16) from a segment into a float vector.
 *
 * <p>JDK 25's Vector API has no half-precision conversion operator, so binary16 is widened with
 * integer lane operations: sign, exponent and mantissa are shifted into binary32 position and the
 * result is multiplied by 2^112 to rebias the exponent, which also makes subnormals exact;
 * infinities and NaNs (made quiet) get the all-ones exponent by a masked OR.
 */
final class HalfLanes {
    /** The preferred species, but at least 128 bits: the shorts it widens need a 64-bit vector at least. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 128
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_128;
    static final VectorSpecies<Integer> I = F.withLanes(int.class);
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final float REBIAS = 0x1p112f;
    /** What {@link #loadF16Finite} makes of the smallest infinity or NaN: 2^16. */
    static final float F16_SPECIAL = 0x1p16f;
    private static final int F16_SPECIAL_BITS = Float.floatToRawIntBits(F16_SPECIAL);

    private HalfLanes() {
    }

    /** {@code F.length()} binary16 values at {@code byteOffset}, as floats. */
    static FloatVector loadF16(MemorySegment seg, long byteOffset) {
        IntVector v = loadF16Finite(seg, byteOffset).reinterpretAsInts();
        IntVector magnitude = v.and(0x7fffffff);
        v = v.blend(v.or(0x7f800000), magnitude.compare(VectorOperators.GE, F16_SPECIAL_BITS));
        // NaNs come out quiet, as the F16C conversion instruction makes them
        v = v.blend(v.or(0x00400000), magnitude.compare(VectorOperators.GT, F16_SPECIAL_BITS));
        return v.reinterpretAsFloats();
    }

    /**
     * Like {@link #loadF16}, exact for finite values, but an infinity or NaN comes out as a finite
     * value of magnitude at least {@link #F16_SPECIAL} (2^16), beyond any finite binary16; callers
     * that skip the patching must detect such lanes.
     */
    static FloatVector loadF16Finite(MemorySegment seg, long byteOffset) {
        ShortVector s = ShortVector.fromMemorySegment(S, seg, byteOffset, ByteOrder.LITTLE_ENDIAN);
        // sign-extended, so after the shift the sign sits in bit 31 and copies of it in bits 28..30, cleared by the mask
        IntVector bits = ((IntVector) s.convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 13).and(0x8fffe000);
        return bits.reinterpretAsFloats().mul(REBIAS);
    }

    /** {@code F.length()} bfloat16 values at {@code byteOffset}, as floats. */
    static FloatVector loadBf16(MemorySegment seg, long byteOffset) {
        return widen(seg, byteOffset).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static IntVector widen(MemorySegment seg, long byteOffset) {
        ShortVector s = ShortVector.fromMemorySegment(S, seg, byteOffset, ByteOrder.LITTLE_ENDIAN);
        return (IntVector) s.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
    }
}
