package dev.jllm.model.load;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.decoder.DecoderWeights;
import dev.jllm.model.decoder.LayerWeights;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds llama.cpp's tensor names ({@code token_embd}, {@code blk.N.attn_q}, …) to a decoder's weights, whichever
 * file format supplies them ({@link NamedTensors}): GGUF files as views into the mapped file, HF folders through
 * the shared HF↔GGUF name table.
 */
final class DecoderTensorBinding {
    private DecoderTensorBinding() {
    }

    /**
     * Binds a model's tensors to a decoder of {@code config}.
     *
     * @throws FormatException naming the tensor that is missing or has a type without kernels
     */
    static DecoderWeights bind(NamedTensors file, ModelConfig config) throws FormatException {
        Tensor embedding = file.tensor("token_embd.weight");
        Tensor positions = config.positions() == ModelConfig.Positions.LEARNED
                ? file.tensor("position_embd.weight") : null;
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            layers.add(layer(file, config, "blk." + i + "."));
        }
        Tensor output = file.has("output.weight") ? file.tensor("output.weight") : embedding;
        return new DecoderWeights(embedding, positions, layers, file.floats("output_norm.weight"),
                file.optionalFloats("output_norm.bias"), output);
    }

    private static LayerWeights layer(NamedTensors file, ModelConfig c, String b) throws FormatException {
        Tensor wq;
        Tensor wk;
        Tensor wv;
        float[] bq;
        float[] bk;
        float[] bv;
        if (file.has(b + "attn_qkv.weight")) {
            // GPT-2 stores q, k and v as one matrix: its row blocks are the three projections
            Tensor qkv = file.tensor(b + "attn_qkv.weight");
            wq = rows(qkv, 0, c.queryDim());
            wk = rows(qkv, c.queryDim(), c.kvDim());
            wv = rows(qkv, c.queryDim() + c.kvDim(), c.kvDim());
            float[] bias = file.optionalFloats(b + "attn_qkv.bias");
            bq = bias == null ? null : java.util.Arrays.copyOfRange(bias, 0, c.queryDim());
            bk = bias == null ? null : java.util.Arrays.copyOfRange(bias, c.queryDim(), c.queryDim() + c.kvDim());
            bv = bias == null ? null
                    : java.util.Arrays.copyOfRange(bias, c.queryDim() + c.kvDim(), c.queryDim() + 2 * c.kvDim());
        } else {
            wq = file.tensor(b + "attn_q.weight");
            wk = file.tensor(b + "attn_k.weight");
            wv = file.tensor(b + "attn_v.weight");
            bq = file.optionalFloats(b + "attn_q.bias");
            bk = file.optionalFloats(b + "attn_k.bias");
            bv = file.optionalFloats(b + "attn_v.bias");
        }
        return new LayerWeights(file.floats(b + "attn_norm.weight"), file.optionalFloats(b + "attn_norm.bias"),
                wq, wk, wv, bq, bk, bv,
                c.qkNorm() ? file.floats(b + "attn_q_norm.weight") : null,
                c.qkNorm() ? file.floats(b + "attn_k_norm.weight") : null,
                file.tensor(b + "attn_output.weight"), file.optionalFloats(b + "attn_output.bias"),
                file.floats(b + "ffn_norm.weight"), file.optionalFloats(b + "ffn_norm.bias"),
                c.mlp() == ModelConfig.Mlp.GATED_SILU ? file.tensor(b + "ffn_gate.weight") : null,
                file.tensor(b + "ffn_up.weight"), file.optionalFloats(b + "ffn_up.bias"),
                file.tensor(b + "ffn_down.weight"), file.optionalFloats(b + "ffn_down.bias"));
    }

    /** Rows {@code from .. from+count} of a matrix, as a view. */
    static Tensor rows(Tensor t, long from, long count) {
        if (from + count > t.rows()) {
            throw new IllegalArgumentException("rows " + from + ".." + (from + count) + " of " + t);
        }
        return Tensor.wrap(t.type(), t.data().asSlice(from * t.rowBytes(), count * t.rowBytes()), count, t.cols());
    }
}
