package dev.jllm.model.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The real stories260K llama2.c model: greedy ids equal those two independent implementations produced. */
class Stories260KTest {
    @Test
    void greedyContinuationsMatchTheFixture() throws Exception {
        Path model = SharedFixtures.resolve("models/stories260K.bin");
        JsonNode expected = new ObjectMapper().readTree(SharedFixtures.resolve("models/stories260K.expected.json")
                .toFile());
        int cases = 0;
        try (LoadedModel loaded = LoadedModel.open(model); WorkerPool pool = new WorkerPool(2)) {
            assertEquals(512, loaded.config().vocabSize());
            Decoder decoder = new Decoder(loaded.config(), loaded.weights(), pool);
            for (JsonNode c : expected.path("cases")) {
                int[] prompt = ids(c.path("prompt_ids"));
                int[] want = ids(c.path("greedy_ids"));
                for (boolean batchedPrefill : new boolean[] {true, false}) {
                    try (KvCache cache = decoder.newCache(DType.F32, loaded.config().contextLength())) {
                        assertArrayEquals(want, greedy(decoder, cache, prompt, want.length, batchedPrefill),
                                "prompt " + c.path("prompt_ids") + (batchedPrefill ? " (batched prefill)" : ""));
                    }
                }
                cases++;
            }
        }
        assertEquals(2, cases);
    }

    static int[] greedy(Decoder decoder, KvCache cache, int[] prompt, int steps, boolean batchedPrefill) {
        float[] logits = new float[decoder.config().vocabSize()];
        if (batchedPrefill) {
            decoder.forward(prompt, 0, prompt.length, 0, cache, logits);
        } else {
            for (int i = 0; i < prompt.length; i++) {
                decoder.forward(prompt, i, 1, i, cache, logits);
            }
        }
        int[] out = new int[steps];
        int position = prompt.length;
        for (int s = 0; s < steps; s++) {
            out[s] = argmax(logits);
            if (s + 1 < steps) {
                decoder.forward(out, s, 1, position++, cache, logits);
            }
        }
        return out;
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
