package dev.jllm.runtime.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Quickselect of the top-p prefix against sorting every candidate and walking the cumulative weight. */
class NucleusSelectionTest {

    @Test
    void selectsTheSameSetAsSortAndWalk() {
        Random r = new Random(41);
        for (int trial = 0; trial < 400; trial++) {
            int m = 1 + r.nextInt(trial < 200 ? 60 : 5000);
            float[] logits = new float[m];
            float[] weight = new float[m];
            long[] keys = new long[m];
            for (int i = 0; i < m; i++) {
                // integer-valued weights: every partial sum is exact, so both orders agree to the bit
                logits[i] = trial % 3 == 0 ? r.nextInt(5) : (float) r.nextGaussian();
                weight[i] = 1 + (int) (8 * Math.exp(logits[i] - 2));
                keys[i] = CandidateKey.of(logits[i], i);
            }
            long[] sorted = keys.clone();
            Arrays.sort(sorted);
            double total = 0;
            for (float w : weight) {
                total += w;
            }
            double need = Math.floor(total * r.nextDouble()) + (trial % 5 == 0 ? 0.5 : 0);
            int expected = 0;
            double cum = 0;
            for (int i = 0; i < m; i++) {
                cum += weight[CandidateKey.id(sorted[i])];
                if (cum >= need) {
                    expected = i + 1;
                    break;
                }
            }
            int n = NucleusSelection.select(keys, m, weight, need);
            assertEquals(expected, n, "trial " + trial + " m=" + m);
            long[] prefix = Arrays.copyOf(keys, n);
            Arrays.sort(prefix);
            assertEquals(Arrays.toString(Arrays.copyOf(sorted, n)), Arrays.toString(prefix), "trial " + trial);
        }
        float[] w = {1, 1};
        assertEquals(0, NucleusSelection.select(new long[] {CandidateKey.of(0, 0), CandidateKey.of(0, 1)}, 2, w, 3));
    }
}
