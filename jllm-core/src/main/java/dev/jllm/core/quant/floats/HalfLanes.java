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
 * integer lane operations: the exponent and mantissa are shifted into binary32 position and the
 * result is multiplied by 2^112 to rebias the exponent, which also makes subnormals exact;
 * infinities and NaNs (made quiet) are patched with a blend.
 */
final class HalfLanes {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = F.withLanes(int.class);
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final float REBIAS = 0x1p112f;

    private HalfLanes() {
    }

    /** {@code F.length()} binary16 values at {@code byteOffset}, as floats. */
    static FloatVector loadF16(MemorySegment seg, long byteOffset) {
        IntVector h = widen(seg, byteOffset);
        IntVector magnitude = h.and(0x7fff);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(REBIAS).reinterpretAsInts();
        IntVector special = shifted.or(0x7f800000);
        // NaNs come out quiet, as the F16C conversion instruction makes them
        special = special.blend(special.or(0x00400000), magnitude.compare(VectorOperators.GT, 0x7c00));
        IntVector bits = finite.blend(special, magnitude.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
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
