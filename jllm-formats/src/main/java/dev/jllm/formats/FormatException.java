package dev.jllm.formats;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model, tokenizer or config file that jllm cannot read, with where and why: the file, the
 * byte offset (or -1 when it has none, as in JSON) and the field. Its message is the one line
 * the CLI shows the user.
 */
public final class FormatException extends IOException {
    private final transient Path file;
    private final long offset;
    private final String field;

    /**
     * @param file the file (may be null for in-memory data)
     * @param offset byte offset of the problem, or -1
     * @param field the field or element that is wrong, e.g. {@code tensor_infos[3].type}
     * @param problem what is wrong with it
     */
    public FormatException(Path file, long offset, String field, String problem) {
        super(format(file, offset, field, problem));
        this.file = file;
        this.offset = offset;
        this.field = field;
    }

    private static String format(Path file, long offset, String field, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<memory>" : file.toString());
        if (offset >= 0) {
            sb.append(" at offset ").append(offset);
        }
        if (field != null && !field.isEmpty()) {
            sb.append(", ").append(field);
        }
        return sb.append(": ").append(problem).toString();
    }

    /** The file, or null for in-memory data. */
    public Path file() {
        return file;
    }

    /** The byte offset of the problem, or -1. */
    public long offset() {
        return offset;
    }

    /** The field that is wrong. */
    public String field() {
        return field;
    }
}
