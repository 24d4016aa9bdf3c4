package dev.jllm.core.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding applied in place to a vector of heads at one position, in either of
 * the two layouts models use:
 *
 * <ul>
 *   <li>adjacent pairs (GGUF's LLaMA, llama2.c): (x[2i], x[2i+1]) rotated by angle i;
 *   <li>halves (Hugging Face, GPT-NeoX): (x[i], x[i + r/2]) rotated by angle i, r the rotary
 *       dimension.
 * </ul>
 *
 * Only the first {@code table.rotaryDim()} dimensions of each head rotate (partial rotary); the
 * rest pass through.
 */
public final class Rope {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(F, j -> j ^ 1);

    private Rope() {
    }

    /** Rotates adjacent pairs of each of {@code heads} heads of {@code headDim} at {@code x[offset ..]}. */
    public static void applyAdjacent(float[] x, int offset, int heads, int headDim, RopeTable table, int position) {
        check(x, offset, heads, headDim, table, position);
        int r = table.rotaryDim();
        float[] cos = table.cosPairsTable();
        float[] sin = table.sinPairsSignedTable();
        int t = position * r;
        int bound = F.loopBound(r);
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, base + j);
                // (a, b) → (a·c − b·s, b·c + a·s): the swapped vector times the signed sines
                FloatVector swapped = v.rearrange(SWAP_PAIRS);
                v.mul(FloatVector.fromArray(F, cos, t + j))
                        .add(swapped.mul(FloatVector.fromArray(F, sin, t + j)))
                        .intoArray(x, base + j);
            }
            for (; j < r; j += 2) {
                float a = x[base + j];
                float b = x[base + j + 1];
                float c = cos[t + j];
                float s = sin[t + j + 1];
                x[base + j] = a * c - b * s;
                x[base + j + 1] = b * c + a * s;
            }
        }
    }

    /** Scalar twin of {@link #applyAdjacent}. */
    public static void applyAdjacentReference(float[] x, int offset, int heads, int headDim, RopeTable table,
            int position) {
        check(x, offset, heads, headDim, table, position);
        int half = table.rotaryDim() / 2;
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int i = 0; i < half; i++) {
                float c = table.cos(position, i);
                float s = table.sin(position, i);
                float a = x[base + 2 * i];
                float b = x[base + 2 * i + 1];
                x[base + 2 * i] = a * c - b * s;
                x[base + 2 * i + 1] = b * c + a * s;
            }
        }
    }

    /** Rotates the halves (x[i], x[i + r/2]) of each of {@code heads} heads at {@code x[offset ..]}. */
    public static void applyHalves(float[] x, int offset, int heads, int headDim, RopeTable table, int position) {
        check(x, offset, heads, headDim, table, position);
        int half = table.rotaryDim() / 2;
        float[] cos = table.cosTable();
        float[] sin = table.sinTable();
        int t = position * half;
        int bound = F.loopBound(half);
        for (int h = 0; h < heads; h++) {
            int lo = offset + h * headDim;
            int hi = lo + half;
            int i = 0;
            for (; i < bound; i += F.length()) {
                FloatVector a = FloatVector.fromArray(F, x, lo + i);
                FloatVector b = FloatVector.fromArray(F, x, hi + i);
                FloatVector c = FloatVector.fromArray(F, cos, t + i);
                FloatVector s = FloatVector.fromArray(F, sin, t + i);
                a.mul(c).sub(b.mul(s)).intoArray(x, lo + i);
                b.mul(c).add(a.mul(s)).intoArray(x, hi + i);
            }
            for (; i < half; i++) {
                float a = x[lo + i];
                float b = x[hi + i];
                x[lo + i] = a * cos[t + i] - b * sin[t + i];
                x[hi + i] = b * cos[t + i] + a * sin[t + i];
            }
        }
    }

    /** Scalar twin of {@link #applyHalves}. */
    public static void applyHalvesReference(float[] x, int offset, int heads, int headDim, RopeTable table,
            int position) {
        check(x, offset, heads, headDim, table, position);
        int half = table.rotaryDim() / 2;
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int i = 0; i < half; i++) {
                float c = table.cos(position, i);
                float s = table.sin(position, i);
                float a = x[base + i];
                float b = x[base + half + i];
                x[base + i] = a * c - b * s;
                x[base + half + i] = b * c + a * s;
            }
        }
    }

    private static void check(float[] x, int offset, int heads, int headDim, RopeTable table, int position) {
        if (heads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("RoPE needs positive heads and head dimension, got " + heads + " × "
                    + headDim);
        }
        if (table.rotaryDim() > headDim) {
            throw new IllegalArgumentException("rotary dimension " + table.rotaryDim() + " exceeds head dimension "
                    + headDim);
        }
        if (position < 0 || position >= table.maxPositions()) {
            throw new IllegalArgumentException("position " + position + " is outside the RoPE table's "
                    + table.maxPositions() + " positions");
        }
        if ((long) heads * headDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("RoPE over " + heads + " × " + headDim + " elements overflows");
        }
        ArrayRange.check("RoPE of " + heads + " heads × " + headDim, x, offset, heads * headDim);
    }
}
