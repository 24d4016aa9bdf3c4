package dev.jllm.eval.data;

import java.util.List;

/**
 * One record of a CSV file.
 *
 * @param line the 1-based line it starts on
 * @param fields its fields, unquoted
 */
public record CsvRecord(long line, List<String> fields) {
    /** Makes the field list unmodifiable. */
    public CsvRecord {
        fields = List.copyOf(fields);
    }
}
