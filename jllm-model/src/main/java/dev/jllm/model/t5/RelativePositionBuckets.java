package dev.jllm.model.t5;

/**
 * T5's map from a key's position relative to the query to one of a few buckets: exact for small
 * distances, logarithmically wider up to a maximum distance, and one last bucket beyond it. In the
 * encoder the buckets are bidirectional (half of them for keys after the query); in the decoder only
 * earlier keys are seen, so all buckets measure distance back.
 */
public final class RelativePositionBuckets {
    private RelativePositionBuckets() {
    }

    /**
     * The bucket of a key at {@code relative = keyPosition − queryPosition}.
     *
     * @param bidirectional whether keys after the query are possible (encoder)
     * @param buckets the number of buckets
     * @param maxDistance the distance from which on the last bucket is used
     */
    public static int bucket(int relative, boolean bidirectional, int buckets, int maxDistance) {
        int base = 0;
        int n;
        int range = buckets;
        if (bidirectional) {
            range = buckets / 2;
            if (relative > 0) {
                base = range;
            }
            n = Math.abs(relative);
        } else {
            n = Math.max(-relative, 0);
        }
        int exact = range / 2;
        if (n < exact) {
            return base + n;
        }
        // float arithmetic as the HF and llama.cpp implementations do it, so boundary distances agree
        float ratio = (float) Math.log((float) n / exact) / (float) Math.log((double) maxDistance / exact);
        int large = exact + (int) (ratio * (range - exact));
        return base + Math.min(large, range - 1);
    }
}
