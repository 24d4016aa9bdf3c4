package dev.jllm.model.encoder;

import dev.jllm.core.linalg.PackedMatrix;
import dev.jllm.core.tensor.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * One encoder block's projections packed for {@link PackedMatrix} products: the query, key and value
 * projections stacked into one matrix (one product writes each token's q, k and v side by side), the
 * attention output, and the feed-forward's up and down projections, with their biases (null for none).
 */
record PackedLayerWeights(PackedMatrix qkv, float[] qkvBias, PackedMatrix output, float[] outputBias,
        PackedMatrix up, float[] upBias, PackedMatrix down, float[] downBias) {

    /**
     * Packs every block when all its matrices are F32 (the copy then costs no more memory than the file's
     * layers and saves decoding per call) and their copy takes at most a quarter of the heap's limit; null
     * otherwise, for the products that read weights in place.
     */
    static List<PackedLayerWeights> packIfF32(EncoderWeights weights) {
        long bytes = 0;
        for (EncoderLayerWeights w : weights.layers()) {
            for (var t : List.of(w.wq(), w.wk(), w.wv(), w.wo(), w.wUp(), w.wDown())) {
                if (t.type() != DType.F32) {
                    return null;
                }
                bytes += t.data().byteSize();
            }
        }
        // a large model (a BERT-large in F32 is 1.3 GB) runs in place rather than risk the heap
        if (bytes > Runtime.getRuntime().maxMemory() / 4) {
            return null;
        }
        List<PackedLayerWeights> packed = new ArrayList<>();
        for (EncoderLayerWeights w : weights.layers()) {
            packed.add(new PackedLayerWeights(PackedMatrix.pack(w.wq(), w.wk(), w.wv()),
                    stackBiases(w.bq(), w.bk(), w.bv(), (int) w.wq().rows()), PackedMatrix.pack(w.wo()), w.bo(),
                    PackedMatrix.pack(w.wUp()), w.bUp(), PackedMatrix.pack(w.wDown()), w.bDown()));
        }
        return packed;
    }

    /** The three biases one after another, a missing one as zeros; null when all three are missing. */
    private static float[] stackBiases(float[] q, float[] k, float[] v, int dim) {
        if (q == null && k == null && v == null) {
            return null;
        }
        float[] all = new float[3 * dim];
        int at = 0;
        for (float[] b : new float[][] {q, k, v}) {
            if (b != null) {
                System.arraycopy(b, 0, all, at, dim);
            }
            at += dim;
        }
        return all;
    }
}
