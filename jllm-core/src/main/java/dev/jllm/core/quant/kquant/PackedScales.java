package dev.jllm.core.quant.kquant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The packed sub-block scales of the K-quants: the 12-byte field of Q4_K/Q5_K holding eight
 * 6-bit scales and eight 6-bit mins, and the 12-byte field of Q3_K holding sixteen 6-bit scales.
 */
public final class PackedScales {
    private PackedScales() {
    }

    /** Scale {@code j} (0..7) of a Q4_K/Q5_K scales field at {@code at} (GGML's get_scale_min_k4). */
    public static int scaleK4(MemorySegment seg, long at, int j) {
        if (j < 4) {
            return b(seg, at + j) & 63;
        }
        return (b(seg, at + j + 4) & 0xF) | ((b(seg, at + j - 4) >>> 6) << 4);
    }

    /** Min {@code j} (0..7) of a Q4_K/Q5_K scales field at {@code at}. */
    public static int minK4(MemorySegment seg, long at, int j) {
        if (j < 4) {
            return b(seg, at + j + 4) & 63;
        }
        return (b(seg, at + j + 4) >>> 4) | ((b(seg, at + j) >>> 6) << 4);
    }

    /** Writes 6-bit scale and min {@code j} into a 12-byte array packed as Q4_K/Q5_K do. */
    static void packK4(byte[] field, int j, int scale, int min) {
        if (j < 4) {
            field[j] = (byte) scale;
            field[j + 4] = (byte) min;
        } else {
            field[j + 4] = (byte) ((scale & 0xF) | ((min & 0xF) << 4));
            field[j - 4] |= (byte) ((scale >>> 4) << 6);
            field[j] |= (byte) ((min >>> 4) << 6);
        }
    }

    /** Signed scale {@code j} (0..15, already minus 32) of a Q3_K scales field at {@code at}. */
    public static int scaleQ3(MemorySegment seg, long at, int j) {
        int low = j < 8 ? b(seg, at + j) & 0xF : b(seg, at + j - 8) >>> 4;
        int high = (b(seg, at + 8 + (j & 3)) >>> (2 * (j >>> 2))) & 3;
        return (low | (high << 4)) - 32;
    }

    /** Writes 6-bit unsigned scale {@code j} (value + 32) into a zeroed 12-byte Q3_K field. */
    static void packQ3(byte[] field, int j, int biased) {
        if (j < 8) {
            field[j] |= (byte) (biased & 0xF);
        } else {
            field[j - 8] |= (byte) ((biased & 0xF) << 4);
        }
        field[8 + (j & 3)] |= (byte) ((biased >>> 4) << (2 * (j >>> 2)));
    }

    private static int b(MemorySegment seg, long offset) {
        return seg.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }
}
