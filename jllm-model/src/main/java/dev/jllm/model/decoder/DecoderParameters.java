package dev.jllm.model.decoder;

import dev.jllm.core.autograd.Variable;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder's weights as trainable F32 parameters, in the same roles as {@link LayerWeights}, named as
 * llama.cpp names them (so checkpoints and optimizer state are keyed like GGUF tensors). A tied output
 * is the token embedding's own variable.
 */
public final class DecoderParameters {
    /** One block's parameters; null where the model has none. */
    public record Layer(Variable attnNorm, Variable attnNormBias, Variable wq, Variable wk, Variable wv, Variable bq,
            Variable bk, Variable bv, Variable qNorm, Variable kNorm, Variable wo, Variable bo, Variable ffnNorm,
            Variable ffnNormBias, Variable wGate, Variable wUp, Variable bUp, Variable wDown, Variable bDown) {
    }

    private final Variable tokenEmbedding;
    private final Variable positionEmbedding;
    private final List<Layer> layers;
    private final Variable outputNorm;
    private final Variable outputNormBias;
    private final Variable output;
    private final Map<String, Variable> named = new LinkedHashMap<>();

    private DecoderParameters(Variable tokenEmbedding, Variable positionEmbedding, List<Layer> layers,
            Variable outputNorm, Variable outputNormBias, Variable output) {
        this.tokenEmbedding = tokenEmbedding;
        this.positionEmbedding = positionEmbedding;
        this.layers = List.copyOf(layers);
        this.outputNorm = outputNorm;
        this.outputNormBias = outputNormBias;
        this.output = output;
        put("token_embd.weight", tokenEmbedding);
        put("position_embd.weight", positionEmbedding);
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String b = "blk." + i + ".";
            put(b + "attn_norm.weight", l.attnNorm());
            put(b + "attn_norm.bias", l.attnNormBias());
            put(b + "attn_q.weight", l.wq());
            put(b + "attn_k.weight", l.wk());
            put(b + "attn_v.weight", l.wv());
            put(b + "attn_q.bias", l.bq());
            put(b + "attn_k.bias", l.bk());
            put(b + "attn_v.bias", l.bv());
            put(b + "attn_q_norm.weight", l.qNorm());
            put(b + "attn_k_norm.weight", l.kNorm());
            put(b + "attn_output.weight", l.wo());
            put(b + "attn_output.bias", l.bo());
            put(b + "ffn_norm.weight", l.ffnNorm());
            put(b + "ffn_norm.bias", l.ffnNormBias());
            put(b + "ffn_gate.weight", l.wGate());
            put(b + "ffn_up.weight", l.wUp());
            put(b + "ffn_up.bias", l.bUp());
            put(b + "ffn_down.weight", l.wDown());
            put(b + "ffn_down.bias", l.bDown());
        }
        put("output_norm.weight", outputNorm);
        put("output_norm.bias", outputNormBias);
        if (output != tokenEmbedding) {
            put("output.weight", output);
        }
    }

    private void put(String name, Variable v) {
        if (v != null) {
            named.put(name, v);
        }
    }

    /** Trainable copies (dequantized to F32) of bound weights, e.g. of a model file or a random init. */
    public static DecoderParameters of(DecoderWeights w) {
        Variable embedding = matrix(w.tokenEmbedding());
        List<Layer> layers = new ArrayList<>();
        for (LayerWeights l : w.layers()) {
            layers.add(new Layer(vector(l.attnNorm()), vector(l.attnNormBias()), matrix(l.wq()), matrix(l.wk()),
                    matrix(l.wv()), vector(l.bq()), vector(l.bk()), vector(l.bv()), vector(l.qNorm()),
                    vector(l.kNorm()), matrix(l.wo()), vector(l.bo()), vector(l.ffnNorm()), vector(l.ffnNormBias()),
                    matrix(l.wGate()), matrix(l.wUp()), vector(l.bUp()), matrix(l.wDown()), vector(l.bDown())));
        }
        Variable output = w.output() == w.tokenEmbedding() ? embedding : matrix(w.output());
        return new DecoderParameters(embedding, matrix(w.positionEmbedding()), layers, vector(w.outputNorm()),
                vector(w.outputNormBias()), output);
    }

    private static Variable matrix(Tensor t) {
        if (t == null) {
            return null;
        }
        float[] v = new float[Math.toIntExact(t.elements())];
        WeightKernels.simd(t.type()).dequantize(t.data(), 0, v, 0, v.length);
        return Variable.parameter(v, Math.toIntExact(t.rows()), Math.toIntExact(t.cols()));
    }

    private static Variable vector(float[] values) {
        return values == null ? null : Variable.parameter(values.clone(), values.length);
    }

    /** Every parameter under its GGUF name, in file order (a tied output appears once, as the embedding). */
    public Map<String, Variable> named() {
        return java.util.Collections.unmodifiableMap(named);
    }

    /** The token embedding. */
    public Variable tokenEmbedding() {
        return tokenEmbedding;
    }

    /** The learned position embedding, or null. */
    public Variable positionEmbedding() {
        return positionEmbedding;
    }

    /** The blocks. */
    public List<Layer> layers() {
        return layers;
    }

    /** The final norm's weight. */
    public Variable outputNorm() {
        return outputNorm;
    }

    /** The final norm's bias, or null. */
    public Variable outputNormBias() {
        return outputNormBias;
    }

    /** The classifier (the token embedding when tied). */
    public Variable output() {
        return output;
    }
}
