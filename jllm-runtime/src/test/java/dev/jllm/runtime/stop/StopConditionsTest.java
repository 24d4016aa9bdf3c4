package dev.jllm.runtime.stop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** End-of-sequence ids, stop strings and the token limit together. */
class StopConditionsTest {

    @Test
    void anyDeclaredEndOfSequenceIdStopsAndReleasesHeldText() {
        // Llama 3 declares both <|end_of_text|> (128001) and <|eot_id|> (128009)
        StopTokens eos = StopTokens.of(128009, 128001, 128009);
        assertArrayEquals(new int[] {128001, 128009}, eos.ids());
        StopConditions c = new StopConditions(eos, List.of("\n\n"), 100);
        assertEquals(new StopConditions.Step("Hi", null), c.accept(10, "Hi\n"));
        assertEquals(new StopConditions.Step("\n", StopReason.STOP), c.accept(128001, "<|end_of_text|>"));
        assertEquals(StopReason.STOP, c.reason());
        assertThrows(IllegalStateException.class, () -> c.accept(5, "x"));
        StopConditions other = new StopConditions(eos, List.of(), -1);
        assertEquals(StopReason.STOP, other.accept(128009, "").reason());
    }

    @Test
    void theTokenLimitEndsWithLength() {
        StopConditions c = new StopConditions(StopTokens.none(), List.of("END"), 3);
        assertEquals("a", c.accept(1, "a").text());
        assertEquals("", c.accept(2, "EN").text());
        StopConditions.Step last = c.accept(3, "x");
        assertEquals(new StopConditions.Step("ENx", StopReason.LENGTH), last);
        assertEquals("length", last.reason().openAiName());
        assertTrue(c.limitReached());
        assertEquals(3, c.generated());
    }

    @Test
    void aStopStringOnTheLastAllowedTokenReportsStop() {
        StopConditions c = new StopConditions(StopTokens.none(), List.of("END"), 2);
        c.accept(1, "ab");
        StopConditions.Step s = c.accept(2, "cEND");
        assertEquals(new StopConditions.Step("c", StopReason.STOP), s);
        assertEquals("END", c.matchedStopString());
        assertEquals("stop", s.reason().openAiName());
    }

    @Test
    void aZeroLimitAllowsNoTokenAndEndingFromOutsideReleasesText() {
        StopConditions zero = new StopConditions(StopTokens.none(), List.of(), 0);
        assertTrue(zero.limitReached());
        assertThrows(IllegalStateException.class, () -> zero.accept(1, "a"));
        StopConditions c = new StopConditions(StopTokens.none(), List.of("stop"), -1);
        assertEquals("", c.accept(1, "st").text());
        assertFalse(c.limitReached());
        assertEquals(new StopConditions.Step("st", StopReason.LENGTH), c.endForLength());
        assertEquals(new StopConditions.Step("", StopReason.LENGTH), c.endForLength());
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StopConditions(StopTokens.none(), List.of(), -2));
        assertTrue(e.getMessage().startsWith("maxTokens"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new StopConditions(null, List.of(), 1));
        assertThrows(IllegalArgumentException.class, () -> StopTokens.of(-1));
        assertFalse(StopTokens.of(1, 2).contains(3));
    }
}
