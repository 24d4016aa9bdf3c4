package dev.jllm.eval.run;

import dev.jllm.eval.metrics.MetricValue;
import dev.jllm.eval.task.EvalTask;
import java.util.List;
import java.util.Map;

/**
 * What one task scored.
 *
 * @param task the task
 * @param shots the few-shot examples each prompt held
 * @param originalSize documents in its split
 * @param effectiveSize documents scored (fewer with a limit)
 * @param metrics per metric, in the task's order, under the task's reported filter
 * @param samples per scored document, its record in the harness's {@code samples_<task>.jsonl} layout; empty unless
 *     samples were kept
 * @param otherFilters for a generative task with several answer filters, the metrics under each filter after the
 *     reported one, by filter name; empty otherwise
 */
public record TaskResult(EvalTask task, int shots, int originalSize, int effectiveSize, Map<String, MetricValue> metrics,
        List<Map<String, Object>> samples, Map<String, Map<String, MetricValue>> otherFilters) {
    /** A result with one filter. */
    public TaskResult(EvalTask task, int shots, int originalSize, int effectiveSize, Map<String, MetricValue> metrics,
            List<Map<String, Object>> samples) {
        this(task, shots, originalSize, effectiveSize, metrics, samples, Map.of());
    }
}
