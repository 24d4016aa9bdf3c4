package dev.jllm.eval.task;

import java.util.List;
import java.util.Map;

/**
 * One multiple-choice question.
 *
 * @param id its index in the split, from 0
 * @param question the question text as the file holds it
 * @param options the answer texts, in label order (A, B, C, D)
 * @param answer the index of the correct option
 * @param fields the record as the file names its columns, for logged samples
 */
public record ChoiceDoc(int id, String question, List<String> options, int answer, Map<String, String> fields) {
    /** Copies the lists and checks the answer index. */
    public ChoiceDoc {
        options = List.copyOf(options);
        fields = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
        if (answer < 0 || answer >= options.size()) {
            throw new IllegalArgumentException("answer index " + answer + " is outside the " + options.size() + " options");
        }
    }
}
