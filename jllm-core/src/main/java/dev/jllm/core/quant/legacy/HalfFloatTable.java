package dev.jllm.core.quant.legacy;

/**
 * Every binary16 value as a float, indexed by its 16 bits. The dot products read a block's scale
 * through it: one load that C2 folds into the broadcast, where {@link Float#float16ToFloat} costs
 * three vector-port instructions per block (move to xmm, convert, broadcast).
 */
final class HalfFloatTable {
    private HalfFloatTable() {
    }

    /** {@code VALUES[bits] == Float.float16ToFloat((short) bits)} for every 16-bit pattern (256 KiB). */
    static final float[] VALUES = values();

    private static float[] values() {
        float[] v = new float[1 << 16];
        for (int bits = 0; bits < v.length; bits++) {
            v[bits] = Float.float16ToFloat((short) bits);
        }
        return v;
    }

    /** The float value of the little-endian binary16 at {@code bits} (as read, sign-extended or not). */
    static float of(short bits) {
        return VALUES[bits & 0xFFFF];
    }
}
