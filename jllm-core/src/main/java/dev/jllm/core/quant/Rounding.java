package dev.jllm.core.quant;

/** The two rounding rules GGML's quantizers use, reproduced exactly for bit-identical blocks. */
public final class Rounding {
    private Rounding() {
    }

    /** C's {@code roundf}: to nearest, halves away from zero. */
    public static int roundHalfAway(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (int) Math.copySign(a, v);
    }

    /** GGML's {@code nearest_int}: to nearest, halves to even (valid for |v| below 2^22). */
    public static int nearestInt(float v) {
        return (int) Math.rint(v);
    }

    /** Rounds a float through binary16 and back, as storing a GGML {@code ggml_half} does. */
    public static float toHalfAndBack(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
