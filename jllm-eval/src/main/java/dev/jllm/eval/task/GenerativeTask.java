package dev.jllm.eval.task;

import dev.jllm.eval.scoring.AnswerFilter;
import dev.jllm.eval.scoring.ExactMatch;
import java.util.List;
import java.util.Map;

/**
 * A task with the harness's {@code generate_until} output type: the model continues each prompt until a stop
 * string, answer filters extract what is graded, and {@code exact_match} compares it with the document's target.
 * The first filter is the one whose score the results report; every filter's answer is logged with the samples.
 */
public non-sealed interface GenerativeTask extends EvalTask {
    /**
     * The examples each prompt holds for a requested count.
     *
     * @param requested {@code --num-fewshot}, or null for the task's own count
     * @throws IllegalArgumentException if the task cannot take that many
     */
    int shots(Integer requested);

    /**
     * The prompts of the first {@code count} documents, in order (a task whose examples are drawn at random draws
     * them document after document, so prompts are built together).
     */
    List<String> prompts(int count, int shots);

    /** The gold answer of document {@code doc}. */
    String target(int doc);

    /** Document {@code doc} as its file holds it, for logged samples. */
    Map<String, Object> fields(int doc);

    /** Where generation stops. */
    List<String> until();

    /** The answer filters of document {@code doc}, the reported one first. */
    List<AnswerFilter> filters(int doc);

    /** How answers are compared with targets. */
    ExactMatch exactMatch();

    /** The filter names, the reported one first. */
    List<String> filterNames();

    @Override
    default String filter() {
        return filterNames().getFirst();
    }

    @Override
    default List<String> metrics() {
        return List.of("exact_match");
    }
}
