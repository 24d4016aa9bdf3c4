package dev.jllm.model.load;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.model.encoder.EncoderConfig;
import dev.jllm.model.encoder.EncoderLayerWeights;
import dev.jllm.model.encoder.EncoderWeights;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds llama.cpp's {@code bert} tensor names ({@code token_embd}, {@code blk.N.attn_q},
 * {@code blk.N.layer_output_norm}, …) to an encoder's weights, from a GGUF file or, through the shared HF↔GGUF
 * name table, an HF folder ({@link NamedTensors}).
 */
final class EncoderTensorBinding {
    private EncoderTensorBinding() {
    }

    /**
     * The weights of an encoder of {@code c}.
     *
     * @throws FormatException naming the tensor that is missing or has a type without kernels
     */
    static EncoderWeights bind(NamedTensors file, EncoderConfig c) throws FormatException {
        List<EncoderLayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            layers.add(new EncoderLayerWeights(file.tensor(b + "attn_q.weight"), file.optionalFloats(b + "attn_q.bias"),
                    file.tensor(b + "attn_k.weight"), file.optionalFloats(b + "attn_k.bias"),
                    file.tensor(b + "attn_v.weight"), file.optionalFloats(b + "attn_v.bias"),
                    file.tensor(b + "attn_output.weight"), file.optionalFloats(b + "attn_output.bias"),
                    file.floats(b + "attn_output_norm.weight"), file.optionalFloats(b + "attn_output_norm.bias"),
                    file.tensor(b + "ffn_up.weight"), file.optionalFloats(b + "ffn_up.bias"),
                    file.tensor(b + "ffn_down.weight"), file.optionalFloats(b + "ffn_down.bias"),
                    file.floats(b + "layer_output_norm.weight"), file.optionalFloats(b + "layer_output_norm.bias")));
        }
        Tensor types = c.typeVocabSize() > 0 ? file.tensor("token_types.weight") : null;
        return new EncoderWeights(file.tensor("token_embd.weight"), file.tensor("position_embd.weight"), types,
                file.floats("token_embd_norm.weight"), file.optionalFloats("token_embd_norm.bias"), layers);
    }
}
