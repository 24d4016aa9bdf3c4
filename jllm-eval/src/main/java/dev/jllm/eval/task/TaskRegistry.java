package dev.jllm.eval.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Turns task names into tasks and groups over a data folder. */
public final class TaskRegistry {
    private TaskRegistry() {
    }

    /** Every task and group name this registry knows, perplexity's file form written as {@code perplexity:FILE}. */
    public static List<String> knownNames() {
        List<String> names = new ArrayList<>();
        names.add(Mmlu.GROUP);
        Mmlu.CATEGORIES.forEach(c -> names.add(Mmlu.GROUP + "_" + c));
        Mmlu.subjects().forEach(s -> names.add(Mmlu.GROUP + "_" + s));
        names.add(CEval.GROUP);
        CEval.subjects().forEach(s -> names.add(CEval.GROUP + "_" + s));
        names.add("bbh");
        for (BbhVariant v : BbhVariant.values()) {
            names.add(v.group);
            names.add(v.group + "_<task>");
        }
        names.add(MmluCotTask.GROUP);
        names.add(MmluCotTask.GROUP + "_<subject>");
        names.add(Gpqa.TAG);
        for (String subset : Gpqa.SUBSETS) {
            for (Gpqa.Variant v : Gpqa.Variant.values()) {
                names.add(Gpqa.taskName(subset, v));
            }
        }
        names.add(GlueTask.TAG);
        for (GlueTask.Kind k : GlueTask.Kind.values()) {
            names.add(k.task);
        }
        names.add(PerplexityTask.NAME);
        names.add(PerplexityTask.NAME + ":FILE");
        return names;
    }

    /**
     * The tasks and groups {@code names} over {@code dataDir}, in the order named.
     *
     * @throws IllegalArgumentException for an unknown name (listing the known ones), or a task named twice
     * @throws dev.jllm.eval.data.EvalDataException if a task's data is missing or malformed
     */
    public static List<TaskNode> resolve(List<String> names, Path dataDir) throws IOException {
        return resolve(names, dataDir, false);
    }

    /**
     * As {@link #resolve(List, Path)}, each name first turned into its chain-of-thought form when {@code cot} is set
     * (see {@link ChainOfThought}).
     *
     * @throws IllegalArgumentException also for a name without a chain-of-thought form under {@code cot}
     */
    public static List<TaskNode> resolve(List<String> names, Path dataDir, boolean cot) throws IOException {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no task named; known tasks: " + summary());
        }
        List<TaskNode> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String raw : names) {
            String name = cot ? ChainOfThought.of(raw.strip()) : raw.strip();
            List<TaskNode> resolved = new ArrayList<>();
            if (Gpqa.knows(name)) {
                for (TaskNode n : Gpqa.resolve(name, dataDir)) {
                    if (!cot || n instanceof GenerativeTask) {
                        resolved.add(n);
                    }
                }
            } else if (MmluCotTask.knows(name)) {
                resolved.add(MmluCotTask.resolve(name, dataDir));
            } else if (BbhTask.knows(name)) {
                resolved.add(BbhTask.resolve(name, dataDir));
            } else if (GlueTask.knows(name)) {
                resolved.addAll(GlueTask.resolve(name, dataDir));
            } else if (Mmlu.knows(name)) {
                resolved.add(Mmlu.resolve(name, dataDir));
            } else if (CEval.knows(name)) {
                resolved.add(CEval.resolve(name, dataDir));
            } else if (PerplexityTask.knows(name)) {
                resolved.add(PerplexityTask.resolve(name, dataDir));
            } else {
                throw new IllegalArgumentException("unknown task \"" + name + "\"; known tasks: " + summary());
            }
            for (TaskNode node : resolved) {
                for (EvalTask t : tasks(node)) {
                    if (!seen.add(t.name())) {
                        throw new IllegalArgumentException("task " + t.name() + " is named twice in --tasks");
                    }
                }
                out.add(node);
            }
        }
        return out;
    }

    /** The tasks a node runs. */
    public static List<EvalTask> tasks(TaskNode node) {
        return switch (node) {
            case EvalTask t -> List.of(t);
            case TaskGroup g -> g.allTasks();
        };
    }

    /** The known names in one line: groups in full, subject tasks as patterns with their counts. */
    static String summary() {
        return String.join(", ", Mmlu.GROUP, Mmlu.GROUP + "_{" + String.join(",", Mmlu.CATEGORIES) + "}",
                Mmlu.GROUP + "_<subject> (" + Mmlu.subjects().size() + " subjects: " + String.join(" ", Mmlu.subjects())
                        + ")",
                CEval.GROUP, CEval.GROUP + "_<subject> (" + CEval.subjects().size() + " subjects: "
                        + String.join(" ", CEval.subjects()) + ")",
                "bbh (= " + BbhTask.GROUP + ")", "bbh_{fewshot,zeroshot,cot_fewshot,cot_zeroshot}[_<task>] (for each "
                        + "<data-dir>/bbh/bbh/<task>.json)", MmluCotTask.GROUP + "[_<category>|_<subject>]",
                Gpqa.TAG, Gpqa.TAG + "_{main,diamond,extended}_{zeroshot,n_shot,cot_zeroshot,cot_n_shot}",
                GlueTask.TAG + " (" + String.join(", ", GlueTask.taskNames()) + ")", PerplexityTask.NAME + " (<data-dir>/perplexity/*.txt)",
                PerplexityTask.NAME + ":FILE");
    }
}
