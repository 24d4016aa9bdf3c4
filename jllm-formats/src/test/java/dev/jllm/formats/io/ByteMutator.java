package dev.jllm.formats.io;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded mutations of a valid file for fuzz tests: bit flips, overwrites with interesting
 * values (all ones, sign bits, huge lengths), truncations, insertions, deletions, and for text
 * headers, numbers replaced by extreme ones.
 */
public final class ByteMutator {
    private static final long[] INTERESTING = {
        0, 1, 2, 3, 4, 7, 8, 9, 12, 13, 31, 32, 33, 63, 64, 127, 128, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 1L << 32, 1L << 40, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -32
    };
    private static final String[] NUMBERS = {
        "-1", "0", "1", "99999999999999999999", "9223372036854775807", "9223372036854775808", "4294967296", "1e308",
        "1.5", "-0", "NaN", "\"1\"", "[]", "{}", "null", "18446744073709551615", "4611686018427387904"
    };

    private ByteMutator() {
    }

    /** A mutated copy of {@code original}; {@code text} enables the number-replacing mutation. */
    public static byte[] mutate(byte[] original, SplittableRandom r, boolean text) {
        byte[] b = original.clone();
        int rounds = 1 + (r.nextInt(4) == 0 ? r.nextInt(4) : 0);
        for (int k = 0; k < rounds; k++) {
            b = mutateOnce(b, r, text);
        }
        return b;
    }

    private static byte[] mutateOnce(byte[] b, SplittableRandom r, boolean text) {
        if (b.length == 0) {
            return new byte[] {(byte) r.nextInt(256)};
        }
        int at = r.nextInt(b.length);
        switch (r.nextInt(text ? 9 : 8)) {
            case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
            case 1 -> b[at] = (byte) new int[] {0, 0xFF, 0x7F, 0x80, 1, 0x20, '"', '{', '['}[r.nextInt(9)];
            case 2, 3 -> {
                // a 32- or 64-bit little-endian field overwritten with a boundary value
                int width = r.nextBoolean() ? 4 : 8;
                long v = INTERESTING[r.nextInt(INTERESTING.length)];
                for (int i = 0; i < width && at + i < b.length; i++) {
                    b[at + i] = (byte) (v >>> (8 * i));
                }
            }
            case 4 -> b = Arrays.copyOf(b, r.nextInt(b.length));
            case 5 -> {
                int n = 1 + r.nextInt(16);
                byte[] out = new byte[b.length + n];
                System.arraycopy(b, 0, out, 0, at);
                for (int i = 0; i < n; i++) {
                    out[at + i] = (byte) r.nextInt(256);
                }
                System.arraycopy(b, at, out, at + n, b.length - at);
                b = out;
            }
            case 6 -> {
                int n = Math.min(b.length - at, 1 + r.nextInt(16));
                byte[] out = new byte[b.length - n];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + n, out, at, b.length - at - n);
                b = out;
            }
            case 7 -> {
                // random bytes over a short run
                int n = Math.min(b.length - at, 1 + r.nextInt(8));
                for (int i = 0; i < n; i++) {
                    b[at + i] = (byte) r.nextInt(256);
                }
            }
            default -> b = replaceNumber(b, at, r);
        }
        return b;
    }

    private static byte[] replaceNumber(byte[] b, int from, SplittableRandom r) {
        int start = from;
        while (start < b.length && !(b[start] >= '0' && b[start] <= '9')) {
            start++;
        }
        if (start == b.length) {
            return b;
        }
        int end = start;
        while (end < b.length && b[end] >= '0' && b[end] <= '9') {
            end++;
        }
        byte[] with = NUMBERS[r.nextInt(NUMBERS.length)].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] out = new byte[b.length - (end - start) + with.length];
        System.arraycopy(b, 0, out, 0, start);
        System.arraycopy(with, 0, out, start, with.length);
        System.arraycopy(b, end, out, start + with.length, b.length - end);
        return out;
    }
}
