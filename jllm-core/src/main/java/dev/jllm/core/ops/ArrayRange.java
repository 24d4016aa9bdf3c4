package dev.jllm.core.ops;

/** The range check every op makes on its arrays, so all ops reject bad ranges with the same message. */
final class ArrayRange {
    private ArrayRange() {
    }

    /**
     * Checks that {@code a[offset .. offset + length)} exists.
     *
     * @throws IllegalArgumentException naming {@code what}, the range and the array length
     */
    static void check(String what, float[] a, int offset, int length) {
        if (length < 0) {
            throw new IllegalArgumentException(what + ": negative length " + length);
        }
        if (offset < 0 || offset > a.length - length) {
            throw new IllegalArgumentException(what + ": range [" + offset + ", " + offset + " + " + length
                    + ") does not fit an array of length " + a.length);
        }
    }
}
