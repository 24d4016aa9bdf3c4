package dev.jllm.eval.data;

import java.io.IOException;
import java.nio.file.Path;

/** A data file that cannot be used as a task's data: names the file, the line (1-based, 0 when none) and the problem. */
public final class EvalDataException extends IOException {
    private final transient Path file;
    private final long line;

    /** An error in {@code file} at {@code line} (0 when it concerns the whole file). */
    public EvalDataException(Path file, long line, String problem) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem);
        this.file = file;
        this.line = line;
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** The 1-based line, 0 when the problem concerns the whole file. */
    public long line() {
        return line;
    }
}
