package dev.jllm.runtime.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

/** Validation of parameters and of sampler inputs: one clear error naming what is wrong. */
class SamplingParamsTest {

    private static void rejects(String name, UnaryOperator<SamplingParams.Builder> change) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.apply(SamplingParams.builder()).build(), name);
        assertTrue(e.getMessage().startsWith(name), e.getMessage());
    }

    @Test
    void eachBadValueNamesItsParameter() {
        rejects("temperature", b -> b.temperature(-0.1f));
        rejects("temperature", b -> b.temperature(Float.NaN));
        rejects("temperature", b -> b.temperature(Float.POSITIVE_INFINITY));
        rejects("topK", b -> b.topK(-2));
        rejects("topP", b -> b.topP(1.01f));
        rejects("topP", b -> b.topP(-0.01f));
        rejects("topP", b -> b.topP(Float.NaN));
        rejects("minP", b -> b.minP(-1e-3f));
        rejects("minP", b -> b.minP(2));
        rejects("repetitionPenalty", b -> b.repetitionPenalty(0));
        rejects("repetitionPenalty", b -> b.repetitionPenalty(Float.NaN));
        rejects("presencePenalty", b -> b.presencePenalty(Float.NEGATIVE_INFINITY));
        rejects("frequencyPenalty", b -> b.frequencyPenalty(Float.NaN));
        rejects("penaltyLastN", b -> b.penaltyLastN(-2));
        rejects("logitBias", b -> b.bias(-1, 1f));
        rejects("logitBias", b -> b.bias(3, Float.NaN));
        rejects("logitBias", b -> b.bias(3, Float.POSITIVE_INFINITY));
        rejects("logitBias", b -> b.logitBias(null));
        Map<Integer, Float> withNull = new HashMap<>();
        withNull.put(2, null);
        rejects("logitBias", b -> b.logitBias(withNull));
    }

    @Test
    void neutralValuesAndPresetsAreAccepted() {
        SamplingParams p = SamplingParams.builder().topK(-1).topP(0).minP(1).bias(0, Float.NEGATIVE_INFINITY)
                .presencePenalty(-2).build();
        assertEquals(-1, p.topK());
        assertTrue(SamplingParams.greedy().isGreedy());
        assertFalse(SamplingParams.builder().build().penalizes());
        assertFalse(SamplingParams.builder().repetitionPenalty(1.1f).penaltyLastN(0).build().penalizes());
        SamplingParams d = SamplingParams.llamaCppDefaults();
        assertEquals(40, d.topK());
        assertEquals(d, d.toBuilder().build());
        assertThrows(UnsupportedOperationException.class, () -> p.logitBias().put(1, 1f));
    }

    @Test
    void samplerRejectsBadInputsWithOneClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Sampler(SamplingParams.builder().bias(10, 1f).build(), 10));
        assertTrue(e.getMessage().contains("logitBias token id 10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Sampler(SamplingParams.greedy(), 0));
        Sampler s = new Sampler(SamplingParams.builder().build(), 4);
        e = assertThrows(IllegalArgumentException.class, () -> s.sample(new float[3]));
        assertTrue(e.getMessage().contains("length"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.sample(new float[] {0, Float.NaN, 1, 2}));
        assertTrue(e.getMessage().contains("index 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> s.sample(new float[] {0, 1, 2, Float.POSITIVE_INFINITY}));
        assertTrue(e.getMessage().contains("index 3"), e.getMessage());
        float ninf = Float.NEGATIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> s.sample(new float[] {ninf, ninf, ninf, ninf}));
        assertTrue(e.getMessage().contains("-Infinity"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.accept(4));
        assertThrows(IllegalArgumentException.class, () -> s.accept(-1));
        Sampler allBanned = new Sampler(SamplingParams.builder().bias(0, ninf).bias(1, ninf).build(), 2);
        assertThrows(IllegalArgumentException.class, () -> allBanned.sample(new float[] {1, 2}));
    }
}
