package dev.jllm.model.load;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.llama2c.Llama2cCheckpoint;
import dev.jllm.formats.llama2c.Llama2cConfig;
import dev.jllm.model.DecoderFamily;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.RopeScaling;
import dev.jllm.model.decoder.DecoderWeights;
import dev.jllm.model.decoder.LayerWeights;
import java.util.ArrayList;
import java.util.List;

/**
 * A llama2.c checkpoint as a Llama decoder: its header gives the shape, and its fixed choices (RMSNorm
 * epsilon 1e-5, RoPE base 10000 on adjacent pairs) the rest, as {@code run.c} hard-codes them.
 */
public final class Llama2cDecoderBinding {
    /** The epsilon llama2.c's {@code rmsnorm} adds. */
    public static final float NORM_EPS = 1e-5f;
    /** llama2.c's RoPE base. */
    public static final double ROPE_THETA = 10000.0;

    private Llama2cDecoderBinding() {
    }

    /** The configuration of a checkpoint. */
    public static ModelConfig config(Llama2cConfig c) {
        DecoderFamily llama = DecoderFamily.LLAMA;
        return new ModelConfig(llama.ggufName(), c.vocabSize(), c.dim(), c.layers(), c.heads(), c.kvHeads(),
                c.headSize(), c.hiddenDim(), c.seqLen(), llama.norm(), NORM_EPS, ModelConfig.Positions.ROPE_ADJACENT,
                c.headSize(), ROPE_THETA, RopeScaling.NONE, llama.mlp(), false, 0);
    }

    /** Views of the checkpoint's weights. */
    public static DecoderWeights bind(Llama2cCheckpoint checkpoint) {
        Llama2cConfig c = checkpoint.config();
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            layers.add(new LayerWeights(floats(checkpoint.attentionNorm(i)), null, checkpoint.wq(i), checkpoint.wk(i),
                    checkpoint.wv(i), null, null, null, null, null, checkpoint.wo(i), null,
                    floats(checkpoint.ffnNorm(i)), null, checkpoint.w1(i), checkpoint.w3(i), null, checkpoint.w2(i),
                    null));
        }
        return new DecoderWeights(checkpoint.tokenEmbedding(), null, layers, floats(checkpoint.finalNorm()), null,
                checkpoint.classifier());
    }

    private static float[] floats(Tensor t) {
        float[] out = new float[Math.toIntExact(t.elements())];
        WeightKernels.simd(t.type()).dequantize(t.data(), 0, out, 0, out.length);
        return out;
    }
}
