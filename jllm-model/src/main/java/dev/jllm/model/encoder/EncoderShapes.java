package dev.jllm.model.encoder;

import dev.jllm.core.tensor.Tensor;

/** Checks that an encoder's bound weights have the shapes its config implies, naming the first that does not. */
final class EncoderShapes {
    private EncoderShapes() {
    }

    static void check(EncoderConfig c, EncoderWeights w) {
        int d = c.dim();
        matrix("word embedding", w.wordEmbedding(), c.vocabSize(), d);
        matrix("position embedding", w.positionEmbedding(), c.maxPositions(), d);
        if (w.tokenTypeEmbedding() != null) {
            matrix("token type embedding", w.tokenTypeEmbedding(), c.typeVocabSize(), d);
        } else if (c.typeVocabSize() != 0) {
            throw new IllegalArgumentException("the config has " + c.typeVocabSize()
                    + " token types but there is no token type embedding");
        }
        vector("embedding norm", w.embeddingNorm(), d, false);
        vector("embedding norm bias", w.embeddingNormBias(), d, true);
        if (w.layers().size() != c.layers()) {
            throw new IllegalArgumentException("the config has " + c.layers() + " layers but " + w.layers().size()
                    + " are bound");
        }
        for (int i = 0; i < c.layers(); i++) {
            EncoderLayerWeights l = w.layers().get(i);
            String p = "layer " + i + " ";
            matrix(p + "query", l.wq(), d, d);
            vector(p + "query bias", l.bq(), d, true);
            matrix(p + "key", l.wk(), d, d);
            vector(p + "key bias", l.bk(), d, true);
            matrix(p + "value", l.wv(), d, d);
            vector(p + "value bias", l.bv(), d, true);
            matrix(p + "attention output", l.wo(), d, d);
            vector(p + "attention output bias", l.bo(), d, true);
            vector(p + "attention norm", l.attentionNorm(), d, false);
            vector(p + "attention norm bias", l.attentionNormBias(), d, true);
            matrix(p + "feed-forward up", l.wUp(), c.ffnDim(), d);
            vector(p + "feed-forward up bias", l.bUp(), c.ffnDim(), true);
            matrix(p + "feed-forward down", l.wDown(), d, c.ffnDim());
            vector(p + "feed-forward down bias", l.bDown(), d, true);
            vector(p + "output norm", l.outputNorm(), d, false);
            vector(p + "output norm bias", l.outputNormBias(), d, true);
        }
    }

    private static void matrix(String what, Tensor t, long rows, long cols) {
        if (t == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(what + " is " + t.rows() + " × " + t.cols() + ", expected " + rows
                    + " × " + cols);
        }
    }

    private static void vector(String what, float[] v, int length, boolean optional) {
        if (v == null) {
            if (optional) {
                return;
            }
            throw new IllegalArgumentException(what + " is missing");
        }
        if (v.length != length) {
            throw new IllegalArgumentException(what + " has " + v.length + " values, expected " + length);
        }
    }
}
