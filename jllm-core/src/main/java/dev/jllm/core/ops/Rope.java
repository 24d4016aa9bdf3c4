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
    private static final VectorShuffle<Float> REPEAT_FIRST_HALF = VectorShuffle.fromOp(F, j -> j / 2);
    private static final VectorShuffle<Float> REPEAT_SECOND_HALF = VectorShuffle.fromOp(F, j -> F.length() / 2 + j / 2);
    private static final FloatVector PAIR_SIGNS = FloatVector.fromArray(F, pairSigns(), 0);

    private Rope() {
    }

    private static float[] pairSigns() {
        float[] signs = new float[F.length()];
        for (int j = 0; j < signs.length; j++) {
            signs[j] = j % 2 == 0 ? -1f : 1f;
        }
        return signs;
    }

    /** Rotates adjacent pairs of each of {@code heads} heads of {@code headDim} at {@code x[offset ..]}. */
    public static void applyAdjacent(float[] x, int offset, int heads, int headDim, RopeTable table, int position) {
        check(x, offset, heads, headDim, table, position);
        int half = table.rotaryDim() / 2;
        float[] cos = table.cosTable();
        float[] sin = table.sinTable();
        int t = position * half;
        int lanes = F.length();
        int i = 0;
        // L pairs per step: their L cosines and sines, each repeated for both members of a pair, cover two vectors of x
        for (; i + lanes <= half; i += lanes) {
            FloatVector c = FloatVector.fromArray(F, cos, t + i);
            FloatVector s = FloatVector.fromArray(F, sin, t + i);
            FloatVector c0 = c.rearrange(REPEAT_FIRST_HALF);
            FloatVector c1 = c.rearrange(REPEAT_SECOND_HALF);
            FloatVector s0 = s.rearrange(REPEAT_FIRST_HALF).mul(PAIR_SIGNS);
            FloatVector s1 = s.rearrange(REPEAT_SECOND_HALF).mul(PAIR_SIGNS);
            for (int h = 0; h < heads; h++) {
                int at = offset + h * headDim + 2 * i;
                // (a, b) → (a·c − b·s, b·c + a·s): the pair-swapped vector times (−s, s)
                FloatVector v0 = FloatVector.fromArray(F, x, at);
                FloatVector v1 = FloatVector.fromArray(F, x, at + lanes);
                v0.mul(c0).add(v0.rearrange(SWAP_PAIRS).mul(s0)).intoArray(x, at);
                v1.mul(c1).add(v1.rearrange(SWAP_PAIRS).mul(s1)).intoArray(x, at + lanes);
            }
        }
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int p = i; p < half; p++) {
                float a = x[base + 2 * p];
                float b = x[base + 2 * p + 1];
                x[base + 2 * p] = a * cos[t + p] - b * sin[t + p];
                x[base + 2 * p + 1] = b * cos[t + p] + a * sin[t + p];
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
