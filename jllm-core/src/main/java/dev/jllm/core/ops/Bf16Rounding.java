package dev.jllm.core.ops;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rounds F32 to BF16 to nearest, ties to even, as PyTorch's {@code c10::BFloat16} does: add
 * {@code 0x7FFF} plus the lowest kept bit, keep the high 16 bits; every NaN becomes the quiet
 * NaN {@code 0x7FC0}. Values beyond the largest BF16 by half an ulp or more become infinities.
 * Each array loop has a scalar twin that gives the same bits.
 */
public final class Bf16Rounding {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as {@link #F}. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** PyTorch's BF16 NaN. */
    public static final short NAN = 0x7FC0;

    private Bf16Rounding() {
    }

    /** The BF16 bits nearest to {@code x} (ties to even). */
    public static short round(float x) {
        if (Float.isNaN(x)) {
            return NAN;
        }
        int bits = Float.floatToRawIntBits(x);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The F32 value of BF16 bits (exact). */
    public static float widen(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }

    /**
     * {@code dst[dstOffset + i] = round(src[srcOffset + i])} for {@code i < length}, with the Vector API.
     *
     * @throws IndexOutOfBoundsException if a range does not fit its array
     */
    public static void round(float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        Objects.checkFromIndexSize(srcOffset, length, src.length);
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            IntVector r = roundedBits(FloatVector.fromArray(F, src, srcOffset + i));
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoArray(dst, dstOffset + i);
        }
        for (; i < length; i++) {
            dst[dstOffset + i] = round(src[srcOffset + i]);
        }
    }

    /** Scalar twin of {@link #round(float[], int, short[], int, int)}. */
    public static void roundReference(float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        Objects.checkFromIndexSize(srcOffset, length, src.length);
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = round(src[srcOffset + i]);
        }
    }

    /**
     * {@code dst[dstOffset + i] = widen(round(src[srcOffset + i]))}: the BF16 values kept as F32
     * (low 16 bits zero), for running F32 kernels on BF16 weights. {@code dst} may be {@code src}.
     *
     * @throws IndexOutOfBoundsException if a range does not fit its array
     */
    public static void roundToFloat(float[] src, int srcOffset, float[] dst, int dstOffset, int length) {
        Objects.checkFromIndexSize(srcOffset, length, src.length);
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            IntVector r = roundedBits(FloatVector.fromArray(F, src, srcOffset + i));
            r.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOffset + i);
        }
        for (; i < length; i++) {
            dst[dstOffset + i] = widen(round(src[srcOffset + i]));
        }
    }

    /** Scalar twin of {@link #roundToFloat}. */
    public static void roundToFloatReference(float[] src, int srcOffset, float[] dst, int dstOffset, int length) {
        Objects.checkFromIndexSize(srcOffset, length, src.length);
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = widen(round(src[srcOffset + i]));
        }
    }

    /** The rounded BF16 bits of each lane, in the low 16 bits of an int lane. */
    private static IntVector roundedBits(FloatVector x) {
        VectorMask<Integer> nan = x.test(VectorOperators.IS_NAN).cast(I);
        IntVector bits = x.reinterpretAsInts();
        IntVector lsb = bits.lanewise(VectorOperators.LSHR, 16).and(1);
        IntVector r = bits.add(lsb).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
        return r.blend(NAN, nan);
    }
}
