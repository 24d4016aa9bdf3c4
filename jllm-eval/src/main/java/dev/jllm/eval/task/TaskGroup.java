package dev.jllm.eval.task;

import java.util.ArrayList;
import java.util.List;

/**
 * A group of tasks and subgroups whose metrics are aggregated as the harness's {@code aggregate_metric_list} with
 * {@code weight_by_size: true}: each metric is the mean of its members' values weighted by their document
 * counts.
 *
 * @param name the group name, e.g. {@code mmlu_stem}
 * @param alias the table name, e.g. {@code stem}
 * @param groups subgroups, in the order they are reported
 * @param tasks member tasks, in the order they are reported
 * @param metrics the metrics aggregated
 * @param version the group's version
 */
public record TaskGroup(String name, String alias, List<TaskGroup> groups, List<EvalTask> tasks, List<String> metrics,
        double version) implements TaskNode {
    /** Copies the lists. */
    public TaskGroup {
        groups = List.copyOf(groups);
        tasks = List.copyOf(tasks);
        metrics = List.copyOf(metrics);
    }

    /** Every task under this group, subgroups first, depth first. */
    public List<EvalTask> allTasks() {
        List<EvalTask> out = new ArrayList<>();
        for (TaskGroup g : groups) {
            out.addAll(g.allTasks());
        }
        out.addAll(tasks);
        return out;
    }

    /** The names of the direct members: subgroups, then tasks. */
    public List<String> memberNames() {
        List<String> out = new ArrayList<>();
        groups.forEach(g -> out.add(g.name()));
        tasks.forEach(t -> out.add(t.name()));
        return out;
    }
}
