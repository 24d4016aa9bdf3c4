package dev.jllm.eval.run;

import dev.jllm.eval.metrics.Aggregation;
import dev.jllm.eval.metrics.MetricValue;
import dev.jllm.eval.scoring.AnswerFilter;
import dev.jllm.eval.scoring.MajorityVote;
import dev.jllm.eval.scoring.TextGeneration;
import dev.jllm.eval.task.GenerativeTask;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs a generative task: each prompt generates {@code --self-consistency} samples from one cached prompt (greedy
 * for one sample, at the temperature otherwise); each answer filter extracts an answer from every sample, the most
 * frequent one is graded by the task's exact match, and the per-document scores are averaged per filter.
 */
final class GenerationRunner {
    private GenerationRunner() {
    }

    static TaskResult run(GenerativeTask task, TextGeneration generation, Evaluator.Options options,
            Evaluator.Progress progress, int count) {
        int shots = task.shots(options.numFewshot());
        List<String> prompts = task.prompts(count, shots);
        List<String> filterNames = task.filterNames();
        double[][] correct = new double[filterNames.size()][count];
        List<Map<String, Object>> samples = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(options.seed());
        int n = options.selfConsistency();
        for (int i = 0; i < count; i++) {
            List<String> generated = generation.generate(prompts.get(i), task.until(), options.maxGenTokens(),
                    options.temperature(), rng, n);
            progress.advance(n);
            List<AnswerFilter> filters = task.filters(i);
            String target = task.target(i);
            Map<String, Object> perFilter = new LinkedHashMap<>();
            List<String> reported = null;
            for (int f = 0; f < filters.size(); f++) {
                AnswerFilter filter = filters.get(f);
                List<String> answers = generated.stream().map(filter::apply).toList();
                String voted = MajorityVote.of(answers);
                correct[f][i] = task.exactMatch().score(voted, target);
                if (f == 0) {
                    reported = List.of(voted);
                }
                perFilter.put(filter.name(), Map.of("answers", answers, "voted", voted, "exact_match", correct[f][i]));
            }
            if (options.keepSamples()) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("doc_id", i);
                s.put("doc", task.fields(i));
                s.put("target", target);
                Map<String, Object> gen = new LinkedHashMap<>();
                gen.put("until", task.until());
                gen.put("max_gen_toks", options.maxGenTokens());
                gen.put("temperature", options.temperature());
                gen.put("samples", n);
                s.put("arguments", Map.of("gen_args_0", Map.of("arg_0", prompts.get(i), "arg_1", gen)));
                s.put("resps", List.of(generated));
                s.put("filtered_resps", reported);
                s.put("filter", task.filter());
                s.put("filters", perFilter);
                s.put("metrics", task.metrics());
                s.put("exact_match", correct[0][i]);
                samples.add(s);
            }
        }
        Map<String, Map<String, MetricValue>> others = new LinkedHashMap<>();
        for (int f = 1; f < filterNames.size(); f++) {
            others.put(filterNames.get(f), Map.of("exact_match", Aggregation.mean(correct[f])));
        }
        return new TaskResult(task, shots, task.size(), count, Map.of("exact_match", Aggregation.mean(correct[0])),
                samples, others);
    }
}
