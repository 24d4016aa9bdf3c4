package dev.jllm.train;

import java.util.Locale;

/**
 * The precision of the weights and activations of the forward and backward passes during training.
 * Gradients of the weights, optimizer state and the optimizer's weights stay F32 in both.
 */
public enum Precision {
    /** The passes read the F32 weights the optimizer updates. */
    F32,
    /**
     * The passes read the weights rounded to BF16 (nearest, ties to even) after every update, while AdamW
     * updates F32 master weights, which checkpoints keep (updates smaller than BF16's spacing are not lost);
     * every activation, and the gradient flowing back through it, is rounded to BF16 too. The kernels
     * still compute in F32, so this models BF16's numerics, not its speed.
     */
    BF16;

    /**
     * The precision named {@code name} (f32 or bf16, any case).
     *
     * @throws IllegalArgumentException naming the value otherwise
     */
    public static Precision parse(String name) {
        for (Precision p : values()) {
            if (p.name().equalsIgnoreCase(name.strip())) {
                return p;
            }
        }
        throw new IllegalArgumentException("precision \"" + name + "\" is not f32 or bf16");
    }

    /** The lower-case name, as options and checkpoints spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
