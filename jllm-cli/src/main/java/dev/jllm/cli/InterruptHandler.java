package dev.jllm.cli;

/** Routes Ctrl-C (SIGINT) to an action instead of ending the JVM, where the platform allows it. */
final class InterruptHandler {
    private InterruptHandler() {
    }

    /** Installs {@code action} for SIGINT; does nothing where signals cannot be handled. */
    @SuppressWarnings("removal")
    static void install(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // no SIGINT here (or already taken by the JVM): Ctrl-C keeps its default meaning
        }
    }
}
