package dev.jllm.formats.convert;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.quantize.LlamaFileType;

/**
 * The type a converter writes a tensor as, following {@code convert_hf_to_gguf.py}: vectors (norms, biases,
 * rope factors) and the few matrices named in {@link #of} stay F32; matrices take the file type's weight type, or F16 when their rows do not split
 * into that type's blocks.
 */
final class ConvertedTensorTypes {
    private ConvertedTensorTypes() {
    }

    /**
     * The type of tensor {@code name} of {@code shape} in a file of {@code fileType}. Position and token-type
     * embeddings stay F32 (llama.cpp's converter keeps them so), and so does T5's relative position bias, which
     * llama.cpp's quantizer never converts either.
     */
    static DType of(String name, long[] shape, LlamaFileType fileType) {
        if (shape.length < 2 || name.equals("position_embd.weight") || name.equals("token_types.weight")
                || name.endsWith("attn_rel_b.weight")) {
            return DType.F32;
        }
        DType w = fileType.weightType();
        return shape[shape.length - 1] % w.blockSize() == 0 ? w : DType.F16;
    }

    /**
     * The file types a converter writes: F32, F16, BF16 and Q8_0 (the types llama.cpp's converter writes).
     *
     * @throws IllegalArgumentException for any other
     */
    static LlamaFileType check(LlamaFileType fileType) {
        if (fileType != null && fileType != LlamaFileType.ALL_F32 && fileType != LlamaFileType.MOSTLY_F16
                && fileType != LlamaFileType.MOSTLY_BF16 && fileType != LlamaFileType.MOSTLY_Q8_0) {
            throw new IllegalArgumentException("convert writes F32, F16, BF16 or Q8_0, not " + fileType.displayName()
                    + " (convert, then run jllm quantize)");
        }
        return fileType;
    }
}
