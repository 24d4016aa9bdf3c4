package dev.jllm.eval.task;

import java.util.List;
import java.util.Map;

/** One task as the harness reports it: a name, a version, the metrics it computes and the config it ran with. */
public sealed interface EvalTask extends TaskNode
        permits MultipleChoiceTask, PerplexityTask, GlueTask, GenerativeTask, GpqaChoiceTask {
    /** The task name, e.g. {@code mmlu_college_physics}. */
    String name();

    /** The name the results table shows, e.g. {@code college_physics}. */
    String alias();

    /** The task's version as the harness's {@code metadata.version}. */
    double version();

    /** Documents in the evaluated split. */
    int size();

    /** The metrics it reports, in order. */
    List<String> metrics();

    /** The name of the filter its metrics are reported under: the harness's {@code "none"} unless it filters. */
    default String filter() {
        return "none";
    }

    /** Whether a higher value is better, per metric. */
    default Map<String, Boolean> higherIsBetter() {
        Map<String, Boolean> m = new java.util.LinkedHashMap<>();
        for (String metric : metrics()) {
            m.put(metric, !metric.contains("perplexity") && !metric.equals("bits_per_byte"));
        }
        return m;
    }

    /** The task's configuration in the harness's {@code configs} layout, for a run with {@code shots} examples. */
    Map<String, Object> config(int shots);
}
