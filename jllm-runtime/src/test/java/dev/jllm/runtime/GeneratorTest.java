package dev.jllm.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jllm.core.tensor.DType;
import dev.jllm.model.decoder.Decoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Prefix reuse and chunked prefill give the same logits as a fresh, unchunked run (stories260K). */
class GeneratorTest {
    private static Stories260K stories;
    private static Decoder decoder;

    @BeforeAll
    static void open() throws Exception {
        stories = new Stories260K();
        decoder = stories.decoder;
    }

    @AfterAll
    static void close() {
        stories.close();
    }

    private static float[] fresh(int[] prompt) {
        try (Generator g = new Generator(decoder, DType.F32, 64, 512)) {
            return g.ingest(prompt).clone();
        }
    }

    @Test
    void reusedPrefixGivesTheLogitsOfAFreshRun() {
        int[] first = {1, 403, 260, 378, 455, 462, 453};
        int[] second = {1, 403, 260, 378, 99, 100, 101, 102};
        try (Generator g = new Generator(decoder, DType.F32, 64, 512)) {
            g.ingest(first);
            g.append(7);
            g.resetTimings();
            float[] got = g.ingest(second);
            assertEquals(4, g.timings().prefillTokens(), "only the tokens after the shared prefix are computed");
            assertArrayEquals(fresh(second), got, 1e-4f, "equal up to summation order (batched vs per-position attention)");
            assertArrayEquals(second, g.tokens());
            g.resetTimings();
            g.ingest(second);
            assertEquals(1, g.timings().prefillTokens(), "the same prompt recomputes its last token only");
        }
    }

    @Test
    void chunkedPrefillEqualsOneBatch() {
        int[] prompt = new int[40];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 37 + 11) % 512;
        }
        try (Generator g = new Generator(decoder, DType.F32, 64, 7)) {
            assertArrayEquals(fresh(prompt), g.ingest(prompt), 1e-4f, "equal up to the GEMM tiling's summation order");
        }
    }

    @Test
    void theContextIsEnforced() {
        try (Generator g = new Generator(decoder, DType.F32, 4, 512)) {
            assertThrows(ContextOverflowException.class, () -> g.ingest(new int[] {1, 2, 3, 4, 5}));
            g.ingest(new int[] {1, 2, 3});
            g.append(4);
            ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> g.append(5));
            assertEquals(4, e.context());
        }
        assertThrows(IllegalArgumentException.class, () -> new Generator(decoder, DType.F32, 100_000, 512));
    }
}
