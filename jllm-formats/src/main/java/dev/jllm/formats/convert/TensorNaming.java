package dev.jllm.formats.convert;

/**
 * Which Hugging Face tensor is which llama.cpp (GGUF) tensor, for every architecture jllm reads from both: the
 * Llama family (llama, mistral, qwen2, qwen3) and GPT-2, BERT and T5. The converters and the model loaders
 * read HF checkpoints through this one table, so a name is paired in one place.
 */
public final class TensorNaming {
    private TensorNaming() {
    }

    /**
     * The GGUF name of Hugging Face tensor {@code hf} in a model of GGUF architecture {@code arch}, or null when
     * it has none. Model-class prefixes ({@code transformer.}, {@code bert.}) are ignored.
     */
    public static String toGguf(String arch, String hf) {
        return FamilyTensorNames.covers(arch) ? FamilyTensorNames.toGguf(arch, hf) : HfTensorNames.toGguf(hf);
    }

    /**
     * The Hugging Face name of GGUF tensor {@code gguf} of {@code arch} (without a model-class prefix), or null
     * when it has none.
     *
     * @param gated whether the MLP has a gate (T5 names its up projection by it)
     */
    public static String toHf(String arch, String gguf, boolean gated) {
        return FamilyTensorNames.covers(arch) ? FamilyTensorNames.toHf(arch, gguf, gated) : HfTensorNames.toHf(gguf);
    }

    /** Whether the Hugging Face layout of {@code gguf} is the transpose of the GGUF one (GPT-2's Conv1D weights). */
    public static boolean transposed(String arch, String gguf) {
        return FamilyTensorNames.transposed(arch, gguf);
    }
}
