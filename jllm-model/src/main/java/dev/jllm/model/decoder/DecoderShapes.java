package dev.jllm.model.decoder;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.model.ModelConfig;
import java.util.Arrays;

/** Checks that bound weights have the shapes a {@link ModelConfig} implies, naming the first that does not. */
final class DecoderShapes {
    private DecoderShapes() {
    }

    static void check(ModelConfig c, DecoderWeights w) {
        matrix("token embedding", w.tokenEmbedding(), c.vocabSize(), c.dim());
        matrix("output", w.output(), c.vocabSize(), c.dim());
        if (c.positions() == ModelConfig.Positions.LEARNED) {
            if (w.positionEmbedding() == null) {
                throw new IllegalArgumentException("learned positions need a position embedding");
            }
            if (w.positionEmbedding().cols() != c.dim() || w.positionEmbedding().rows() < c.contextLength()) {
                throw new IllegalArgumentException("position embedding is " + w.positionEmbedding()
                        + ", expected at least " + c.contextLength() + " × " + c.dim());
            }
        }
        vector("output norm", w.outputNorm(), c.dim(), true);
        vector("output norm bias", w.outputNormBias(), c.dim(), false);
        if (w.layers().size() != c.layers()) {
            throw new IllegalArgumentException(w.layers().size() + " blocks bound, the config says " + c.layers());
        }
        for (int i = 0; i < c.layers(); i++) {
            LayerWeights l = w.layers().get(i);
            String p = "block " + i + " ";
            vector(p + "attention norm", l.attnNorm(), c.dim(), true);
            vector(p + "attention norm bias", l.attnNormBias(), c.dim(), c.norm() == ModelConfig.Norm.LAYER);
            matrix(p + "q", l.wq(), c.queryDim(), c.dim());
            matrix(p + "k", l.wk(), c.kvDim(), c.dim());
            matrix(p + "v", l.wv(), c.kvDim(), c.dim());
            vector(p + "q bias", l.bq(), c.queryDim(), false);
            vector(p + "k bias", l.bk(), c.kvDim(), false);
            vector(p + "v bias", l.bv(), c.kvDim(), false);
            vector(p + "q norm", l.qNorm(), c.headDim(), c.qkNorm());
            vector(p + "k norm", l.kNorm(), c.headDim(), c.qkNorm());
            matrix(p + "attention output", l.wo(), c.dim(), c.queryDim());
            vector(p + "attention output bias", l.bo(), c.dim(), false);
            vector(p + "MLP norm", l.ffnNorm(), c.dim(), true);
            vector(p + "MLP norm bias", l.ffnNormBias(), c.dim(), c.norm() == ModelConfig.Norm.LAYER);
            if (c.mlp() == ModelConfig.Mlp.GATED_SILU) {
                matrix(p + "gate", l.wGate(), c.ffnDim(), c.dim());
            }
            matrix(p + "up", l.wUp(), c.ffnDim(), c.dim());
            vector(p + "up bias", l.bUp(), c.ffnDim(), false);
            matrix(p + "down", l.wDown(), c.dim(), c.ffnDim());
            vector(p + "down bias", l.bDown(), c.dim(), false);
        }
    }

    private static void matrix(String name, Tensor t, long rows, long cols) {
        if (t == null) {
            throw new IllegalArgumentException("missing weight: " + name);
        }
        if (t.rank() != 2 || t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(t.shape()) + ", expected ["
                    + rows + ", " + cols + "]");
        }
    }

    private static void vector(String name, float[] v, int length, boolean required) {
        if (v == null) {
            if (required) {
                throw new IllegalArgumentException("missing weight: " + name);
            }
            return;
        }
        if (v.length != length) {
            throw new IllegalArgumentException(name + " has " + v.length + " values, expected " + length);
        }
    }
}
