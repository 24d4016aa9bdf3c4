package dev.jllm.eval.run;

import dev.jllm.eval.metrics.Aggregation;
import dev.jllm.eval.metrics.MetricValue;
import dev.jllm.eval.scoring.ContinuationScore;
import dev.jllm.eval.scoring.LogLikelihood;
import dev.jllm.eval.scoring.RollingWindows;
import dev.jllm.eval.scoring.TextGeneration;
import dev.jllm.eval.scoring.TokenPair;
import dev.jllm.eval.task.ChoiceDoc;
import dev.jllm.eval.task.EvalTask;
import dev.jllm.eval.task.GenerativeTask;
import dev.jllm.eval.task.GpqaChoiceTask;
import dev.jllm.eval.task.GpqaDoc;
import dev.jllm.eval.task.GlueTask;
import dev.jllm.eval.task.MultipleChoiceTask;
import dev.jllm.eval.task.PerplexityTask;
import dev.jllm.eval.task.TaskNode;
import dev.jllm.eval.task.TaskRegistry;
import dev.jllm.eval.task.TextDoc;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs tasks over a {@link LogLikelihood} scorer and a {@link TextGeneration} generator as the harness's
 * {@code simple_evaluate} does: the first {@code limit} documents of each task, each multiple-choice question's options
 * scored after its prompt (questions in batches), each text scored in rolling windows, each generative task's prompts
 * continued and their answers filtered, voted on and graded, then the per-document metrics aggregated.
 */
public final class Evaluator {
    /**
     * How to run.
     *
     * @param numFewshot examples per prompt, or null for each task's default (0)
     * @param limit the most documents per task, or null for all
     * @param batchSize questions whose prompts run as one batch
     * @param keepSamples whether to keep each document's record for {@code samples_<task>.jsonl}
     * @param maxGenTokens the most tokens a generative task generates per sample
     * @param selfConsistency samples per question of a generative task; more than one votes over their extracted
     *     answers (self-consistency)
     * @param temperature 0 for greedy generation, else the sampling temperature
     * @param seed the seed of sampling
     */
    public record Options(Integer numFewshot, Integer limit, int batchSize, boolean keepSamples, int maxGenTokens,
            int selfConsistency, double temperature, long seed) {
        /** Options for scoring tasks only: greedy single samples of at most 256 tokens. */
        public Options(Integer numFewshot, Integer limit, int batchSize, boolean keepSamples) {
            this(numFewshot, limit, batchSize, keepSamples, 256, 1, 0, 0);
        }

        /** Checks the ranges. */
        public Options {
            if (maxGenTokens < 1) {
                throw new IllegalArgumentException("--max-gen-toks must be positive, got " + maxGenTokens);
            }
            if (selfConsistency < 1) {
                throw new IllegalArgumentException("--self-consistency must be positive, got " + selfConsistency);
            }
            if (!(temperature >= 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("--temperature must be 0 or positive, got " + temperature);
            }
            if (selfConsistency > 1 && temperature == 0) {
                throw new IllegalArgumentException("--self-consistency " + selfConsistency + " needs a --temperature "
                        + "above 0: greedy samples are all alike");
            }
            if (numFewshot != null && numFewshot < 0) {
                throw new IllegalArgumentException("--num-fewshot must not be negative, got " + numFewshot);
            }
            if (limit != null && limit < 1) {
                throw new IllegalArgumentException("--limit must be positive, got " + limit);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
            }
        }
    }

    /** Told how many requests a run has and as they are scored. */
    public interface Progress {
        /** The run has {@code requests} requests (options and windows) in all. */
        void start(long requests);

        /** {@code requests} more were scored. */
        void advance(long requests);
    }

    private final LogLikelihood scorer;
    private final TextGeneration generation;
    private final Options options;
    private final Progress progress;

    /** An evaluator of scoring tasks; {@code progress} may be null. */
    public Evaluator(LogLikelihood scorer, Options options, Progress progress) {
        this(scorer, null, options, progress);
    }

    /** An evaluator that also runs generative tasks with {@code generation}; it and {@code progress} may be null. */
    public Evaluator(LogLikelihood scorer, TextGeneration generation, Options options, Progress progress) {
        this.scorer = scorer;
        this.generation = generation;
        this.options = options;
        this.progress = progress != null ? progress : new Progress() {
            @Override
            public void start(long requests) {
            }

            @Override
            public void advance(long requests) {
            }
        };
    }

    /**
     * Runs every task under {@code nodes}.
     *
     * @throws IllegalArgumentException if a task cannot take the few-shot count
     */
    public EvalResults run(List<TaskNode> nodes) {
        List<EvalTask> tasks = new ArrayList<>();
        for (TaskNode n : nodes) {
            tasks.addAll(TaskRegistry.tasks(n));
        }
        Map<TextDoc, int[]> tokens = new LinkedHashMap<>();
        long requests = 0;
        for (EvalTask t : tasks) {
            switch (t) {
                case MultipleChoiceTask mc -> {
                    mc.context(mc.docs().getFirst(), shots()); // fails early on a few-shot count the pool lacks
                    for (ChoiceDoc d : limited(mc.docs())) {
                        requests += d.options().size();
                    }
                }
                case GenerativeTask g -> {
                    if (generation == null) {
                        throw new IllegalStateException(g.name() + " generates text, and this evaluator has no "
                                + "generator");
                    }
                    g.prompts(Math.min(1, count(g)), g.shots(options.numFewshot())); // fails early on a bad shot count
                    requests += (long) count(g) * options.selfConsistency();
                }
                case GpqaChoiceTask q -> {
                    q.contexts(Math.min(1, count(q)), shots());
                    requests += (long) count(q) * GpqaChoiceTask.LABELS.size();
                }
                case GlueTask g -> {
                    if (options.numFewshot() != null && options.numFewshot() > 0) {
                        throw new IllegalArgumentException(g.name() + " runs zero-shot only (the harness draws its "
                                + "examples from the train split at random); leave out --num-fewshot");
                    }
                    requests += (long) limited(g.docs()).size() * g.choices().size();
                }
                case PerplexityTask p -> {
                    for (TextDoc d : limited(p.docs())) {
                        int[] ids = scorer.encodeText(d.text());
                        tokens.put(d, ids);
                        requests += RollingWindows.of(ids, scorer.prefixToken(), scorer.maxLength()).size();
                    }
                }
            }
        }
        progress.start(requests);
        Map<String, TaskResult> results = new LinkedHashMap<>();
        for (EvalTask t : tasks) {
            TaskResult r = switch (t) {
                case MultipleChoiceTask mc -> runChoices(mc);
                case GlueTask g -> runGlue(g);
                case GenerativeTask g -> GenerationRunner.run(g, generation, options, progress, count(g));
                case GpqaChoiceTask q -> runGpqa(q);
                case PerplexityTask p -> runPerplexity(p, tokens);
            };
            results.put(t.name(), r);
        }
        return new EvalResults(nodes, results);
    }

    private int shots() {
        return options.numFewshot() == null ? 0 : options.numFewshot();
    }

    private int count(EvalTask t) {
        return options.limit() == null ? t.size() : Math.min(options.limit(), t.size());
    }

    private <T> List<T> limited(List<T> docs) {
        return options.limit() == null ? docs : docs.subList(0, Math.min(options.limit(), docs.size()));
    }

    private TaskResult runChoices(MultipleChoiceTask task) {
        int shots = shots();
        List<ChoiceDoc> docs = limited(task.docs());
        Map<String, double[]> perDoc = new LinkedHashMap<>();
        task.metrics().forEach(m -> perDoc.put(m, new double[docs.size()]));
        List<Map<String, Object>> samples = new ArrayList<>();
        for (int from = 0; from < docs.size(); from += options.batchSize()) {
            List<ChoiceDoc> batch = docs.subList(from, Math.min(docs.size(), from + options.batchSize()));
            List<String> contexts = new ArrayList<>();
            List<List<TokenPair>> questions = new ArrayList<>();
            int requests = 0;
            for (ChoiceDoc d : batch) {
                String ctx = task.context(d, shots);
                contexts.add(ctx);
                List<TokenPair> pairs = new ArrayList<>();
                for (String cont : task.continuations(d)) {
                    pairs.add(scorer.encode(ctx, cont));
                }
                questions.add(pairs);
                requests += pairs.size();
            }
            List<List<ContinuationScore>> scores = scorer.scoreQuestions(questions);
            for (int i = 0; i < batch.size(); i++) {
                ChoiceDoc d = batch.get(i);
                Map<String, Double> m = task.score(d, scores.get(i));
                for (Map.Entry<String, Double> e : m.entrySet()) {
                    perDoc.get(e.getKey())[from + i] = e.getValue();
                }
                if (options.keepSamples()) {
                    samples.add(choiceSample(task, d, contexts.get(i), scores.get(i), m));
                }
            }
            progress.advance(requests);
        }
        Map<String, MetricValue> metrics = new LinkedHashMap<>();
        perDoc.forEach((name, values) -> metrics.put(name, Aggregation.mean(values)));
        return new TaskResult(task, shots, task.size(), docs.size(), metrics, samples);
    }

    private static Map<String, Object> choiceSample(MultipleChoiceTask task, ChoiceDoc d, String context,
            List<ContinuationScore> scores, Map<String, Double> metrics) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("doc_id", d.id());
        s.put("doc", d.fields());
        s.put("target", d.answer());
        Map<String, Object> arguments = new LinkedHashMap<>();
        List<String> continuations = task.continuations(d);
        List<Object> resps = new ArrayList<>();
        List<Object> filtered = new ArrayList<>();
        for (int j = 0; j < continuations.size(); j++) {
            arguments.put("gen_args_" + j, Map.of("arg_0", context, "arg_1", continuations.get(j)));
            List<Object> pair = List.of(scores.get(j).logLikelihood(), scores.get(j).greedy());
            resps.add(List.of(pair));
            filtered.add(pair);
        }
        s.put("arguments", arguments);
        s.put("resps", resps);
        s.put("filtered_resps", filtered);
        s.put("filter", "none");
        s.put("metrics", task.metrics());
        s.putAll(metrics);
        return s;
    }

    private TaskResult runGlue(GlueTask task) {
        List<GlueTask.GlueDoc> docs = limited(task.docs());
        double[] predictions = new double[docs.size()];
        List<Map<String, Object>> samples = new ArrayList<>();
        for (int from = 0; from < docs.size(); from += options.batchSize()) {
            List<GlueTask.GlueDoc> batch = docs.subList(from, Math.min(docs.size(), from + options.batchSize()));
            List<List<TokenPair>> questions = new ArrayList<>();
            for (GlueTask.GlueDoc d : batch) {
                List<TokenPair> pairs = new ArrayList<>();
                for (String cont : task.continuations()) {
                    pairs.add(scorer.encode(d.text(), cont));
                }
                questions.add(pairs);
            }
            List<List<ContinuationScore>> scores = scorer.scoreQuestions(questions);
            for (int i = 0; i < batch.size(); i++) {
                GlueTask.GlueDoc d = batch.get(i);
                predictions[from + i] = task.predict(scores.get(i));
                if (options.keepSamples()) {
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("doc_id", d.id());
                    s.put("doc", d.fields());
                    s.put("target", task.kind() == GlueTask.Kind.STSB ? (Object) d.score() : d.label());
                    Map<String, Object> arguments = new LinkedHashMap<>();
                    List<Object> filtered = new ArrayList<>();
                    for (int j = 0; j < task.continuations().size(); j++) {
                        arguments.put("gen_args_" + j, Map.of("arg_0", d.text(), "arg_1", task.continuations().get(j)));
                        filtered.add(List.of(scores.get(i).get(j).logLikelihood(), scores.get(i).get(j).greedy()));
                    }
                    s.put("arguments", arguments);
                    s.put("filtered_resps", filtered);
                    s.put("filter", "none");
                    s.put("metrics", task.metrics());
                    s.put("prediction", predictions[from + i]);
                    samples.add(s);
                }
            }
            progress.advance((long) batch.size() * task.choices().size());
        }
        return new TaskResult(task, 0, task.size(), docs.size(), task.aggregate(docs, predictions), samples);
    }

    private TaskResult runGpqa(GpqaChoiceTask task) {
        int shots = shots();
        int count = count(task);
        List<String> contexts = task.contexts(count, shots);
        Map<String, double[]> perDoc = new LinkedHashMap<>();
        task.metrics().forEach(m -> perDoc.put(m, new double[count]));
        List<Map<String, Object>> samples = new ArrayList<>();
        for (int from = 0; from < count; from += options.batchSize()) {
            int to = Math.min(count, from + options.batchSize());
            List<List<TokenPair>> questions = new ArrayList<>();
            for (int i = from; i < to; i++) {
                List<TokenPair> pairs = new ArrayList<>();
                for (String cont : task.continuations()) {
                    pairs.add(scorer.encode(contexts.get(i), cont));
                }
                questions.add(pairs);
            }
            List<List<ContinuationScore>> scores = scorer.scoreQuestions(questions);
            for (int i = from; i < to; i++) {
                GpqaDoc d = task.docs().get(i);
                List<ContinuationScore> sc = scores.get(i - from);
                Map<String, Double> m = task.score(d, sc);
                for (Map.Entry<String, Double> e : m.entrySet()) {
                    perDoc.get(e.getKey())[i] = e.getValue();
                }
                if (options.keepSamples()) {
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("doc_id", d.id());
                    Map<String, Object> doc = new LinkedHashMap<>(d.fields());
                    for (int c = 0; c < d.choices().size(); c++) {
                        doc.put("choice" + (c + 1), d.choices().get(c));
                    }
                    doc.put("answer", d.answerLabel());
                    s.put("doc", doc);
                    s.put("target", d.answer());
                    Map<String, Object> arguments = new LinkedHashMap<>();
                    List<Object> filtered = new ArrayList<>();
                    for (int j = 0; j < sc.size(); j++) {
                        arguments.put("gen_args_" + j, Map.of("arg_0", contexts.get(i), "arg_1",
                                task.continuations().get(j)));
                        filtered.add(List.of(sc.get(j).logLikelihood(), sc.get(j).greedy()));
                    }
                    s.put("arguments", arguments);
                    s.put("filtered_resps", filtered);
                    s.put("filter", "none");
                    s.put("metrics", task.metrics());
                    s.putAll(m);
                    samples.add(s);
                }
            }
            progress.advance((long) (to - from) * task.continuations().size());
        }
        Map<String, MetricValue> metrics = new LinkedHashMap<>();
        perDoc.forEach((name, values) -> metrics.put(name, Aggregation.mean(values)));
        return new TaskResult(task, shots, task.size(), count, metrics, samples);
    }

    private TaskResult runPerplexity(PerplexityTask task, Map<TextDoc, int[]> tokens) {
        List<TextDoc> docs = limited(task.docs());
        double[] ll = new double[docs.size()];
        int[] words = new int[docs.size()];
        int[] bytes = new int[docs.size()];
        List<Map<String, Object>> samples = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            TextDoc d = docs.get(i);
            List<TokenPair> windows = RollingWindows.of(tokens.get(d), scorer.prefixToken(), scorer.maxLength());
            for (TokenPair w : windows) {
                ll[i] += scorer.score(w).logLikelihood();
                progress.advance(1);
            }
            words[i] = PerplexityTask.words(d.text());
            bytes[i] = PerplexityTask.bytes(d.text());
            if (options.keepSamples()) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("doc_id", i);
                s.put("doc", Map.of("name", d.name(), "page", d.text()));
                s.put("target", "");
                s.put("arguments", Map.of("gen_args_0", Map.of("arg_0", d.text())));
                s.put("resps", List.of(List.of(ll[i])));
                s.put("filtered_resps", List.of(ll[i]));
                s.put("filter", "none");
                s.put("metrics", PerplexityTask.METRICS);
                s.put("word_perplexity", List.of(ll[i], words[i]));
                s.put("byte_perplexity", List.of(ll[i], bytes[i]));
                s.put("bits_per_byte", List.of(ll[i], bytes[i]));
                samples.add(s);
            }
        }
        Map<String, MetricValue> metrics = new LinkedHashMap<>();
        PerplexityTask.aggregate(ll, words, bytes).forEach((name, v) -> metrics.put(name,
                new MetricValue(v, Double.NaN, docs.size())));
        return new TaskResult(task, 0, task.size(), docs.size(), metrics, samples);
    }
}
