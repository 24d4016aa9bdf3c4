package dev.jllm.eval.scoring;

/**
 * A request as token ids: the context the model reads and the continuation whose tokens are scored.
 *
 * @param context at least one id
 * @param continuation at least one id
 */
public record TokenPair(int[] context, int[] continuation) {
    /** Checks that both parts are non-empty. */
    public TokenPair {
        if (context.length == 0 || continuation.length == 0) {
            throw new IllegalArgumentException("a scored request needs a non-empty context and continuation, got "
                    + context.length + " and " + continuation.length + " tokens");
        }
    }
}
