package dev.jllm.runtime.stop;

import java.util.List;

/**
 * Everything that ends one generation: the model's end-of-sequence tokens, stop strings and a maximum
 * number of new tokens. The generator hands over each new token with its decoded text and shows what
 * comes back; once a step reports a {@link StopReason}, the generation is over.
 *
 * <p>Precedence on one token: an end-of-sequence id stops (its own text is not shown); else a stop string
 * completed by its text stops with {@link StopReason#STOP}; else reaching the token limit stops with
 * {@link StopReason#LENGTH}. Text held back as a possible stop-string start is released whenever the
 * generation ends for another reason.
 */
public final class StopConditions {
    private final StopTokens stopTokens;
    private final StopStrings stopStrings;
    private final int maxTokens;
    private int generated;
    private StopReason reason;

    /**
     * @param stopTokens  ids that end the generation
     * @param stopStrings strings that end it (see {@link StopStrings})
     * @param maxTokens   most new tokens, {@code >= 0}, or -1 for no limit
     * @throws IllegalArgumentException on a bad argument, naming it
     */
    public StopConditions(StopTokens stopTokens, List<String> stopStrings, int maxTokens) {
        if (stopTokens == null) {
            throw new IllegalArgumentException("stopTokens must not be null (use StopTokens.none())");
        }
        if (maxTokens < -1) {
            throw new IllegalArgumentException("maxTokens must be >= 0, or -1 for no limit, got " + maxTokens);
        }
        this.stopTokens = stopTokens;
        this.stopStrings = new StopStrings(stopStrings);
        this.maxTokens = maxTokens;
    }

    /**
     * What one token produced.
     *
     * @param text   text to show now (possibly empty)
     * @param reason why the generation ended with this token, or null if it goes on
     */
    public record Step(String text, StopReason reason) {
        /** Whether the generation ended. */
        public boolean stopped() {
            return reason != null;
        }
    }

    /** Whether the token limit is already reached, so no further token should be generated. */
    public boolean limitReached() {
        return maxTokens >= 0 && generated >= maxTokens;
    }

    /** New tokens accepted so far. */
    public int generated() {
        return generated;
    }

    /** Why the generation ended, or null while it goes on. */
    public StopReason reason() {
        return reason;
    }

    /** The stop string that ended the generation, or null. */
    public String matchedStopString() {
        return stopStrings.matched();
    }

    /**
     * Takes the next generated token and its decoded text.
     *
     * @throws IllegalStateException if the generation already ended or the token limit was reached
     */
    public Step accept(int token, String piece) {
        if (reason != null) {
            throw new IllegalStateException("the generation already ended (" + reason + ")");
        }
        if (limitReached()) {
            throw new IllegalStateException("the limit of " + maxTokens + " tokens is already reached");
        }
        generated++;
        if (stopTokens.contains(token)) {
            reason = StopReason.STOP;
            return new Step(stopStrings.flush(), reason);
        }
        StopStrings.Step s = stopStrings.feed(piece);
        if (s.stopped()) {
            reason = StopReason.STOP;
            return new Step(s.text(), reason);
        }
        if (limitReached()) {
            reason = StopReason.LENGTH;
            return new Step(s.text() + stopStrings.flush(), reason);
        }
        return new Step(s.text(), null);
    }

    /**
     * Ends the generation from outside (the context is full, or the limit was 0): releases the held-back
     * text with {@link StopReason#LENGTH}. Returns the recorded reason and no text if it already ended.
     */
    public Step endForLength() {
        if (reason != null) {
            return new Step("", reason);
        }
        reason = StopReason.LENGTH;
        return new Step(stopStrings.flush(), reason);
    }
}
