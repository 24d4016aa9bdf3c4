package dev.jllm.eval.task;

import java.util.List;
import java.util.Map;

/**
 * One GPQA question after the harness's {@code process_docs}: its options are the preprocessed incorrect answers
 * and the correct one, shuffled.
 *
 * @param id its row in the file, from 0
 * @param question the {@code Question} column as the file holds it
 * @param choices the four options in label order, (A) to (D)
 * @param answer the index of the correct option
 * @param fields the row as the file names its columns
 */
public record GpqaDoc(int id, String question, List<String> choices, int answer, Map<String, String> fields) {
    /** Copies the lists. */
    public GpqaDoc {
        choices = List.copyOf(choices);
        fields = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
    }

    /** The answer as the harness's documents hold it: {@code (A)} to {@code (D)}. */
    public String answerLabel() {
        return "(" + (char) ('A' + answer) + ")";
    }
}
