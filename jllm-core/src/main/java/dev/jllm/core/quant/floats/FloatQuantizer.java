package dev.jllm.core.quant.floats;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Writes F32 (a copy), F16 (round to nearest even by {@link Float#floatToFloat16}) or BF16 (round
 * to nearest even, NaNs kept quiet, as GGML's {@code ggml_compute_fp32_to_bf16}). Importance
 * weights are ignored: rounding each element to nearest is already optimal.
 */
public final class FloatQuantizer implements Quantizer {
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType type;

    /**
     * A quantizer writing {@code type}.
     *
     * @throws IllegalArgumentException if {@code type} is not F32, F16 or BF16
     */
    public FloatQuantizer(DType type) {
        if (type != DType.F32 && type != DType.F16 && type != DType.BF16) {
            throw new IllegalArgumentException("FloatQuantizer writes F32, F16 or BF16, not " + type);
        }
        this.type = type;
    }

    @Override
    public DType type() {
        return type;
    }

    @Override
    public void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset, float[] importance) {
        int bytes = type == DType.F32 ? 4 : 2;
        FloatArgs.check(type.name(), dst, dstOffset, bytes, src, srcOffset, count);
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOffset, dst, LE_FLOAT, dstOffset, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(LE_SHORT, dstOffset + 2L * i, Float.floatToFloat16(src[srcOffset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(LE_SHORT, dstOffset + 2L * i, toBf16(src[srcOffset + i]));
                }
            }
            default -> throw new AssertionError(type);
        }
    }

    /**
     * The bfloat16 bits nearest to {@code v}, ties to even. A NaN keeps its sign and upper payload
     * and gets the quiet bit, so truncation can never turn it into an infinity.
     */
    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The float a bfloat16 holds. */
    public static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
