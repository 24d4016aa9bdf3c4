package dev.jllm.model.decoder;

import dev.jllm.model.ModelConfig;
import dev.jllm.model.decoder.DecoderMath.NormSite;
import dev.jllm.model.decoder.DecoderMath.Projection;

/**
 * The decoder-only Transformer, written once: embed; per block, pre-norm attention (with QK-norm and
 * RoPE where the model has them) and a pre-norm MLP, each added to the residual stream; the final norm
 * and the classifier. Inference and training run this same sequence through their {@link DecoderMath}.
 */
public final class DecoderDefinition {
    private DecoderDefinition() {
    }

    /** Runs the model of {@code config} through {@code m} and returns the logits. */
    public static <T> T forward(ModelConfig config, DecoderMath<T> m) {
        T x = m.embed();
        for (int layer = 0; layer < config.layers(); layer++) {
            T h = m.norm(x, layer, NormSite.ATTENTION);
            T q = m.linear(h, layer, Projection.Q);
            T k = m.linear(h, layer, Projection.K);
            T v = m.linear(h, layer, Projection.V);
            if (config.qkNorm()) {
                q = m.headNorm(q, layer, Projection.Q);
                k = m.headNorm(k, layer, Projection.K);
            }
            if (config.usesRope()) {
                q = m.rope(q, Projection.Q);
                k = m.rope(k, Projection.K);
            }
            x = m.add(x, m.linear(m.attention(layer, q, k, v), layer, Projection.OUTPUT));
            h = m.norm(x, layer, NormSite.MLP);
            T hidden = config.mlp() == ModelConfig.Mlp.GATED_SILU
                    ? m.swiglu(m.linear(h, layer, Projection.GATE), m.linear(h, layer, Projection.UP))
                    : m.gelu(m.linear(h, layer, Projection.UP));
            x = m.add(x, m.linear(hidden, layer, Projection.DOWN));
        }
        return m.logits(m.norm(x, -1, NormSite.FINAL));
    }
}
