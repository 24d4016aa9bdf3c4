package dev.jllm.eval.task;

/**
 * What {@code --cot} makes of a task or group name: its chain-of-thought form where the harness has one.
 *
 * <ul>
 *   <li>{@code mmlu}, {@code mmlu_<category>}, {@code mmlu_<subject>} become {@code mmlu_flan_cot_zeroshot...}
 *       (zero-shot "Let's think step by step." on the validation split);
 *   <li>{@code gpqa_<subset>_zeroshot} becomes {@code gpqa_<subset>_cot_zeroshot} and {@code gpqa_<subset>_n_shot}
 *       becomes {@code gpqa_<subset>_cot_n_shot}; the {@code gpqa} tag runs only the chain-of-thought variants;
 *   <li>{@code bbh_fewshot[_<task>]} becomes {@code bbh_cot_fewshot[_<task>]} and {@code bbh_zeroshot[_<task>]}
 *       becomes {@code bbh_cot_zeroshot[_<task>]};
 *   <li>names already in a chain-of-thought form ({@code bbh}, {@code *_cot_*}, {@code mmlu_flan_cot_zeroshot*})
 *       stay as they are;
 *   <li>C-Eval, GLUE and perplexity have no such form: naming them with {@code --cot} is an error.
 * </ul>
 */
public final class ChainOfThought {
    private ChainOfThought() {
    }

    /**
     * The chain-of-thought form of {@code name}.
     *
     * @throws IllegalArgumentException if the task has none
     */
    public static String of(String name) {
        if (name.startsWith(MmluCotTask.GROUP) || name.equals("bbh") || name.startsWith("bbh_cot_")
                || name.equals(Gpqa.TAG) || (name.startsWith(Gpqa.TAG + "_") && name.contains("_cot_"))) {
            return name;
        }
        if (Mmlu.knows(name)) {
            return MmluCotTask.GROUP + name.substring(Mmlu.GROUP.length());
        }
        if (name.startsWith(Gpqa.TAG + "_") && name.endsWith("_zeroshot")) {
            return name.substring(0, name.length() - "zeroshot".length()) + "cot_zeroshot";
        }
        if (name.startsWith(Gpqa.TAG + "_") && name.endsWith("_n_shot")) {
            return name.substring(0, name.length() - "n_shot".length()) + "cot_n_shot";
        }
        if (name.startsWith("bbh_fewshot") || name.startsWith("bbh_zeroshot")) {
            return "bbh_cot_" + name.substring("bbh_".length());
        }
        if (!CEval.knows(name) && !GlueTask.knows(name) && !PerplexityTask.knows(name)) {
            return name; // not a task at all: resolution names it as unknown
        }
        throw new IllegalArgumentException("--cot: task " + name + " has no chain-of-thought form (mmlu, gpqa and bbh "
                + "tasks have one; C-Eval, GLUE and perplexity are scored without generation)");
    }
}
