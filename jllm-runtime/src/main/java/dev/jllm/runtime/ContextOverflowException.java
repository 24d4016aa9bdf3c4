package dev.jllm.runtime;

/** A sequence would grow past its context length. */
public final class ContextOverflowException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final int needed;
    private final int context;

    /** A sequence of {@code needed} tokens does not fit a context of {@code context}. */
    public ContextOverflowException(int needed, int context) {
        super(needed + " tokens do not fit the context of " + context + " tokens");
        this.needed = needed;
        this.context = context;
    }

    /** Tokens the sequence would hold. */
    public int needed() {
        return needed;
    }

    /** The context length. */
    public int context() {
        return context;
    }
}
