package dev.jllm.formats.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RopeRowOrderTest {
    @Test
    void matchesLlamaCppPermuteAndInverts() {
        // reshape(heads, 2, rows / heads / 2, ...).swapaxes(1, 2) for 2 heads of 6 rows
        RopeRowOrder o = new RopeRowOrder(12, 2);
        long[] hf = {0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11};
        for (int g = 0; g < hf.length; g++) {
            assertEquals(hf[g], o.hfRowOf(g), "GGUF row " + g);
            assertEquals(g, o.ggufRowOf(o.hfRowOf(g)));
        }
    }

    @Test
    void refusesOddHeads() {
        assertThrows(IllegalArgumentException.class, () -> new RopeRowOrder(12, 4));
        assertThrows(IllegalArgumentException.class, () -> new RopeRowOrder(10, 3));
    }
}
