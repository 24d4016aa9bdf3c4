package dev.jllm.core.autograd;

import dev.jllm.core.ops.Bf16Rounding;

/**
 * Rounds a variable to BF16 precision (kept in F32 arrays), for training with BF16 activations: the
 * forward value is each element rounded to nearest BF16, and the gradient flowing back is rounded the
 * same way before it is added to the input's, as when both passes store activations in BF16.
 */
public final class Bf16Cast {
    private Bf16Cast() {
    }

    /** {@code x} rounded to BF16; its gradient is passed back rounded to BF16. */
    public static Variable round(Tape tape, Variable x) {
        boolean grad = tape.needsGrad(x);
        Variable y = tape.output(grad, x.shape());
        int n = x.size();
        float[] xv = x.value();
        float[] yv = y.value();
        Arithmetic.chunks(tape, n, (from, to) -> Bf16Rounding.roundToFloat(xv, from, yv, from, to - from));
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy != null) {
                    float[] gx = tape.gradOf(x);
                    Arithmetic.chunks(tape, n, (from, to) -> {
                        float[] rounded = new float[to - from];
                        Bf16Rounding.roundToFloat(gy, from, rounded, 0, to - from);
                        VectorMath.addInto(rounded, 0, gx, from, to - from);
                    });
                }
            });
        }
        return y;
    }
}
