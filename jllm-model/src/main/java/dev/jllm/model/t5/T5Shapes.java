package dev.jllm.model.t5;

import dev.jllm.core.tensor.Tensor;
import java.util.List;

/** Checks that bound T5 weights have the shapes a {@link T5Config} implies, naming the first that does not. */
final class T5Shapes {
    private T5Shapes() {
    }

    static void check(T5Config c, T5Weights w) {
        int dim = c.dim();
        matrix(w.tokenEmbedding(), c.vocabSize(), dim, "token embedding");
        matrix(w.output(), c.vocabSize(), dim, "LM head");
        vector(w.encoderBias(), c.buckets() * c.heads(), "encoder relative position bias");
        vector(w.decoderBias(), c.buckets() * c.heads(), "decoder relative position bias");
        vector(w.encoderNorm(), dim, "encoder final norm");
        vector(w.decoderNorm(), dim, "decoder final norm");
        blocks(c, w.encoder(), c.encoderLayers(), "encoder", false);
        blocks(c, w.decoder(), c.decoderLayers(), "decoder", true);
    }

    private static void blocks(T5Config c, List<T5Block> blocks, int count, String stack, boolean cross) {
        if (blocks == null || blocks.size() != count) {
            throw new IllegalArgumentException("the " + stack + " has " + (blocks == null ? 0 : blocks.size())
                    + " blocks, the config says " + count);
        }
        int dim = c.dim();
        for (int i = 0; i < count; i++) {
            T5Block b = blocks.get(i);
            String p = stack + " block " + i + " ";
            vector(b.attnNorm(), dim, p + "attention norm");
            matrix(b.wq(), c.queryDim(), dim, p + "query");
            matrix(b.wk(), c.kvDim(), dim, p + "key");
            matrix(b.wv(), c.kvDim(), dim, p + "value");
            matrix(b.wo(), dim, c.queryDim(), p + "attention output");
            if (cross) {
                vector(b.crossNorm(), dim, p + "cross-attention norm");
                matrix(b.cq(), c.queryDim(), dim, p + "cross-attention query");
                matrix(b.ck(), c.kvDim(), dim, p + "cross-attention key");
                matrix(b.cv(), c.kvDim(), dim, p + "cross-attention value");
                matrix(b.co(), dim, c.queryDim(), p + "cross-attention output");
            }
            vector(b.ffnNorm(), dim, p + "feed-forward norm");
            if (c.mlp() == T5Config.Mlp.GATED_GELU) {
                matrix(b.gate(), c.ffnDim(), dim, p + "feed-forward gate");
            } else if (b.gate() != null) {
                throw new IllegalArgumentException(p + "has a feed-forward gate but the model's network is ReLU");
            }
            matrix(b.up(), c.ffnDim(), dim, p + "feed-forward up");
            matrix(b.down(), dim, c.ffnDim(), p + "feed-forward down");
        }
    }

    private static void matrix(Tensor t, long rows, long cols, String what) {
        if (t == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (t.rank() != 2 || t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(what + " has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected [" + rows + ", " + cols + "]");
        }
    }

    private static void vector(float[] v, int length, String what) {
        if (v == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (v.length != length) {
            throw new IllegalArgumentException(what + " has " + v.length + " values, expected " + length);
        }
    }
}
