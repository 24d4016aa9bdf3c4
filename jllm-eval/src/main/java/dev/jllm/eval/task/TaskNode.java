package dev.jllm.eval.task;

/** What a task name resolves to: one task, or a group of tasks. */
public sealed interface TaskNode permits EvalTask, TaskGroup {
    /** The name. */
    String name();

    /** The name the results table shows. */
    String alias();
}
