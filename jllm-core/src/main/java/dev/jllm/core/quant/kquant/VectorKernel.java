package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Vector API kernel. It works on float vectors of {@link #LANES} lanes (16 where the preferred
 * species has 16 floats, else 8) fed by byte vectors of as many lanes, so one byte load widens to
 * one float vector. The species are static constants because C2 only intrinsifies vector
 * operations whose species it can see as constant; the code is written for any lane count that
 * divides 16.
 */
abstract class VectorKernel extends KQuantKernel {
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Float species of the arithmetic. */
    static final VectorSpecies<Float> F =
            FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    /** Lanes per vector. */
    static final int LANES = F.length();
    /** Byte species with as many lanes as {@link #F}. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));

    VectorKernel(DType type) {
        super(type);
    }

    /** Loads {@link #lanes} bytes at {@code offset}. */
    static ByteVector loadBytes(MemorySegment seg, long offset) {
        return ByteVector.fromMemorySegment(B, seg, offset, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Unpacks the eight 6-bit scales (low bytes 0..7 of the result) and eight 6-bit mins (high
     * bytes) of a Q4_K/Q5_K 12-byte field at {@code at} into {@code scales} and {@code mins}.
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

    /** Sign-extends the {@link #LANES} bytes of {@code q} to floats. */
    static FloatVector toFloats(ByteVector q) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
    }

    /** The high nibbles of {@code q}; shifts as ints since x86 has no byte shift. */
    static ByteVector highNibbles(ByteVector q) {
        return shiftRight(q, 4).and((byte) 0xF);
    }

    /**
     * Shifts the bits of every byte of {@code v} left by {@code s}, working on ints because x86
     * has no byte shifts; bits carried in from the neighbouring byte must be masked off by the
     * caller. The operator is fixed (only the count may vary) so that C2 can intrinsify it.
     */
    static ByteVector shiftLeft(ByteVector v, int s) {
        return v.reinterpretAsInts().lanewise(VectorOperators.LSHL, s).reinterpretAsBytes();
    }

    /** As {@link #shiftLeft}, to the right. */
    static ByteVector shiftRight(ByteVector v, int s) {
        return v.reinterpretAsInts().lanewise(VectorOperators.LSHR, s).reinterpretAsBytes();
    }
}
