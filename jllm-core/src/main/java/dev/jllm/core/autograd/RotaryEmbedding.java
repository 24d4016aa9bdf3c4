package dev.jllm.core.autograd;

import dev.jllm.core.ops.Rope;
import dev.jllm.core.ops.RopeTable;

/**
 * Rotary position embedding over the heads of each row. Rotations are orthogonal, so the
 * backward rotates the gradient by the opposite angle; it runs the forward kernel between two
 * sign flips, since R(−θ) = P·R(θ)·P with P negating the second member of each pair.
 */
public final class RotaryEmbedding {
    /** Which dimensions of a head form the rotated pairs. */
    public enum Layout {
        /** (x[2i], x[2i+1]): GGUF's LLaMA, llama2.c. */
        ADJACENT,
        /** (x[i], x[i + r/2]) with r the rotary dimension: Hugging Face, GPT-NeoX. */
        HALVES
    }

    private RotaryEmbedding() {
    }

    /**
     * Rotates each of the {@code heads} heads of {@code headDim} in every row t of x (shape
     * [..., heads·headDim]) by the angles of position {@code positions[t]}.
     *
     * @throws IllegalArgumentException if x's rows are not heads·headDim long, there is not one
     *     position per row, or a position is outside the table
     */
    public static Variable rope(Tape tape, Variable x, int heads, int headDim, RopeTable table, int[] positions,
                                Layout layout) {
        int width = heads * headDim;
        if (heads <= 0 || headDim <= 0 || x.cols() != width) {
            throw new IllegalArgumentException("rope of " + heads + " heads × " + headDim + " needs rows of " + width
                    + ", got " + x);
        }
        if (table.rotaryDim() > headDim) {
            throw new IllegalArgumentException("rotary dimension " + table.rotaryDim() + " exceeds head dimension "
                    + headDim);
        }
        int n = x.rows();
        if (positions.length != n) {
            throw new IllegalArgumentException("rope of " + x + " needs " + n + " positions, got " + positions.length);
        }
        int[] pos = positions.clone(); // the caller may refill its array before backward runs
        for (int t = 0; t < n; t++) {
            if (pos[t] < 0 || pos[t] >= table.maxPositions()) {
                throw new IllegalArgumentException("position " + pos[t] + " of row " + t + " is outside the RoPE table's "
                        + table.maxPositions() + " positions");
            }
        }
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, x.shape());
        float[] yv = y.value();
        System.arraycopy(x.value(), 0, yv, 0, x.size());
        rotate(tape, yv, n, heads, headDim, table, pos, layout);
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy == null) {
                    return;
                }
                float[] g = tape.scratch(n * width);
                System.arraycopy(gy, 0, g, 0, n * width);
                flipSecondMembers(g, n, heads, headDim, table.rotaryDim(), layout);
                rotate(tape, g, n, heads, headDim, table, pos, layout);
                flipSecondMembers(g, n, heads, headDim, table.rotaryDim(), layout);
                if (tape.handOverGrad(x, g)) {
                    return;
                }
                float[] gx = tape.gradOf(x);
                Arithmetic.chunks(tape, n * width, (from, to) -> VectorMath.addInto(g, from, gx, from, to - from));
            });
        }
        return y;
    }

    private static void rotate(Tape tape, float[] v, int n, int heads, int headDim, RopeTable table, int[] pos,
                               Layout layout) {
        int width = heads * headDim;
        tape.parallel(n, width, (from, to) -> {
            for (int t = from; t < to; t++) {
                if (layout == Layout.ADJACENT) {
                    Rope.applyAdjacent(v, t * width, heads, headDim, table, pos[t]);
                } else {
                    Rope.applyHalves(v, t * width, heads, headDim, table, pos[t]);
                }
            }
        });
    }

    /** Negates the second member of every rotated pair (P above). */
    private static void flipSecondMembers(float[] v, int n, int heads, int headDim, int rotaryDim, Layout layout) {
        int half = rotaryDim / 2;
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * headDim;
                if (layout == Layout.ADJACENT) {
                    for (int i = 0; i < half; i++) {
                        v[base + 2 * i + 1] = -v[base + 2 * i + 1];
                    }
                } else {
                    for (int i = half; i < rotaryDim; i++) {
                        v[base + i] = -v[base + i];
                    }
                }
            }
        }
    }
}
