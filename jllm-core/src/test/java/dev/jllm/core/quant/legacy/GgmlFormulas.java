package dev.jllm.core.quant.legacy;

import dev.jllm.core.tensor.DType;

/**
 * An independent transcription, for the tests, of GGML's reference quantizers
 * ({@code quantize_row_q*_ref}) that builds each block's bytes in a plain array.
 */
final class GgmlFormulas {
    private GgmlFormulas() {
    }

    static byte[] quantize(DType t, float[] x) {
        byte[] out = new byte[x.length / 32 * t.blockBytes()];
        for (int b = 0; b < x.length / 32; b++) {
            float[] v = java.util.Arrays.copyOfRange(x, b * 32, b * 32 + 32);
            byte[] block = switch (t) {
                case Q8_0 -> q8_0(v);
                case Q4_0 -> offsetNibbles(v, 8);
                case Q5_0 -> offsetNibbles(v, 16);
                case Q4_1 -> minNibbles(v, 15);
                case Q5_1 -> minNibbles(v, 31);
                default -> throw new AssertionError(t);
            };
            System.arraycopy(block, 0, out, b * block.length, block.length);
        }
        return out;
    }

    private static void putHalf(byte[] block, int at, float v) {
        short h = Float.floatToFloat16(v);
        block[at] = (byte) h;
        block[at + 1] = (byte) (h >> 8);
    }

    /** C's roundf. */
    private static float roundf(float v) {
        return v < 0 ? -(float) Math.floor(-v + 0.5) : (float) Math.floor(v + 0.5);
    }

    private static byte[] q8_0(float[] v) {
        float amax = 0;
        for (float f : v) {
            amax = Math.max(amax, Math.abs(f));
        }
        float d = amax / 127;
        float id = d == 0 ? 0 : 1 / d;
        byte[] block = new byte[34];
        putHalf(block, 0, d);
        for (int j = 0; j < 32; j++) {
            block[2 + j] = (byte) roundf(v[j] * id);
        }
        return block;
    }

    /** Q4_0 (half = 8) and Q5_0 (half = 16). */
    private static byte[] offsetNibbles(float[] v, int half) {
        int best = 0;
        for (int j = 1; j < 32; j++) {
            if (Math.abs(v[j]) > Math.abs(v[best])) {
                best = j;
            }
        }
        float d = v[best] / -half;
        float id = d == 0 ? 0 : 1 / d;
        int[] q = new int[32];
        for (int j = 0; j < 32; j++) {
            float shifted = v[j] * id + (half + 0.5f);
            q[j] = Math.min(2 * half - 1, (int) shifted);
        }
        byte[] block = new byte[half == 8 ? 18 : 22];
        putHalf(block, 0, d);
        pack(q, block, 2, half == 16);
        return block;
    }

    /** Q4_1 (steps 15, codes capped at 15) and Q5_1 (steps 31, no cap in GGML). */
    private static byte[] minNibbles(float[] v, int steps) {
        float min = v[0];
        float max = v[0];
        for (float f : v) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        float d = (max - min) / steps;
        float id = d == 0 ? 0 : 1 / d;
        int[] q = new int[32];
        for (int j = 0; j < 32; j++) {
            int code = (int) ((v[j] - min) * id + 0.5f);
            q[j] = steps == 15 ? Math.min(15, code) : code;
        }
        byte[] block = new byte[steps == 15 ? 20 : 24];
        putHalf(block, 0, d);
        putHalf(block, 2, min);
        pack(q, block, 4, steps == 31);
        return block;
    }

    private static void pack(int[] q, byte[] block, int at, boolean fifthBits) {
        int qs = at;
        if (fifthBits) {
            for (int j = 0; j < 32; j++) {
                if ((q[j] & 16) != 0) {
                    block[at + j / 8] |= (byte) (1 << (j % 8));
                }
            }
            qs += 4;
        }
        for (int j = 0; j < 16; j++) {
            block[qs + j] = (byte) ((q[j] & 15) | (q[j + 16] & 15) << 4);
        }
    }
}
