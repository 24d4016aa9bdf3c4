package dev.jllm.formats.onnx;

import java.util.List;

/**
 * What a BERT-family ONNX graph holds, in Hugging Face terms: {@code BertModel}'s config values and each weight
 * under its Hugging Face name, with where its values come from.
 *
 * @param hiddenSize hidden_size
 * @param layers num_hidden_layers
 * @param heads num_attention_heads
 * @param intermediateSize intermediate_size
 * @param vocabSize vocab_size
 * @param maxPositions max_position_embeddings
 * @param typeVocabSize type_vocab_size
 * @param layerNormEps layer_norm_eps
 * @param hiddenAct hidden_act
 * @param tensors the weights in Hugging Face order and names
 * @param positionIds integer initializers verified as position ids 0..n-1 (Hugging Face keeps them as a buffer)
 */
public record BertImportPlan(long hiddenSize, int layers, int heads, long intermediateSize, long vocabSize,
        long maxPositions, long typeVocabSize, double layerNormEps, String hiddenAct, List<Tensor> tensors,
        List<OnnxTensor> positionIds) {

    /**
     * One Hugging Face tensor.
     *
     * @param name the Hugging Face name, e.g. {@code encoder.layer.0.attention.self.query.weight}
     * @param shape its Hugging Face shape ({@code [out, in]} for dense weights)
     * @param source the ONNX tensor its values come from; null for a tensor of zeros (a bias or token-type table the
     *     graph does not have)
     * @param transposed whether {@code source} is stored as the transpose of {@code shape}
     * @param type the element type
     */
    public record Tensor(String name, long[] shape, OnnxTensor source, boolean transposed, OnnxDataType type) {
    }
}
