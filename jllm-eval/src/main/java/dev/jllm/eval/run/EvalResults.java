package dev.jllm.eval.run;

import dev.jllm.eval.metrics.Aggregation;
import dev.jllm.eval.metrics.MetricValue;
import dev.jllm.eval.task.EvalTask;
import dev.jllm.eval.task.TaskGroup;
import dev.jllm.eval.task.TaskNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results of a run: each task's, and each group's metrics as the size-weighted aggregate of its members
 * (subgroups aggregated first, then used as members with their total sizes).
 *
 * @param nodes the tasks and groups as named
 * @param tasks each task's result by name
 */
public record EvalResults(List<TaskNode> nodes, Map<String, TaskResult> tasks) {
    /** Copies the collections. */
    public EvalResults {
        nodes = List.copyOf(nodes);
        tasks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
    }

    /** A group's metrics, aggregated from its members' results. */
    public Map<String, MetricValue> groupMetrics(TaskGroup group) {
        Map<String, MetricValue> out = new LinkedHashMap<>();
        for (String metric : group.metrics()) {
            List<MetricValue> members = new ArrayList<>();
            for (TaskGroup g : group.groups()) {
                MetricValue v = groupMetrics(g).get(metric);
                if (v != null) {
                    members.add(v);
                }
            }
            for (EvalTask t : group.tasks()) {
                MetricValue v = tasks.get(t.name()).metrics().get(metric);
                if (v != null) {
                    members.add(v);
                }
            }
            if (!members.isEmpty()) {
                out.put(metric, Aggregation.weighted(members));
            }
        }
        return out;
    }

    /** Every group under the named nodes, outer groups first. */
    public List<TaskGroup> groups() {
        List<TaskGroup> out = new ArrayList<>();
        for (TaskNode n : nodes) {
            if (n instanceof TaskGroup g) {
                addGroups(g, out);
            }
        }
        return out;
    }

    private static void addGroups(TaskGroup g, List<TaskGroup> out) {
        out.add(g);
        for (TaskGroup sub : g.groups()) {
            addGroups(sub, out);
        }
    }
}
