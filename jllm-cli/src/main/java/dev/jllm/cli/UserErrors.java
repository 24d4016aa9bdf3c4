package dev.jllm.cli;

import java.io.IOException;
import java.nio.file.NoSuchFileException;

/** Turns exceptions into the one line a user reads, and an exit code. */
final class UserErrors {
    private UserErrors() {
    }

    /** A one-line description of {@code ex} for the user. */
    static String describe(Throwable ex) {
        if (ex instanceof NoSuchFileException nf) {
            return "no such file: " + nf.getFile() + (nf.getReason() == null ? "" : " (" + nf.getReason() + ")");
        }
        if (ex instanceof IOException
                || ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                || ex instanceof UnsupportedOperationException) {
            String m = ex.getMessage();
            return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m.replace('\n', ' ');
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (raise -Xmx through JLLM_JAVA_OPTS): " + ex.getMessage();
        }
        String m = ex.getMessage();
        return "internal error: " + ex.getClass().getSimpleName() + (m == null ? "" : ": " + m)
                + " (run with --verbose for details)";
    }

    /** 1 for errors in the user's input or environment, 3 for internal errors. */
    static int exitCode(Throwable ex) {
        if (ex instanceof IOException || ex instanceof IllegalArgumentException
                || ex instanceof IllegalStateException || ex instanceof UnsupportedOperationException
                || ex instanceof OutOfMemoryError) {
            return 1;
        }
        return 3;
    }
}
