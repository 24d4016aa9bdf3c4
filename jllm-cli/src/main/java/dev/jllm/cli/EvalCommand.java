package dev.jllm.cli;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.cli.plot.ResultsChart;
import dev.jllm.eval.report.ResultsJson;
import dev.jllm.eval.report.ResultsTable;
import dev.jllm.eval.run.EvalResults;
import dev.jllm.eval.run.Evaluator;
import dev.jllm.eval.run.TaskResult;
import dev.jllm.eval.scoring.LogLikelihood;
import dev.jllm.eval.scoring.TextGeneration;
import dev.jllm.eval.task.TaskNode;
import dev.jllm.eval.task.TaskRegistry;
import dev.jllm.formats.io.AtomicFile;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm eval}: lm-evaluation-harness-compatible benchmarks (MMLU, C-Eval, GPQA, BIG-Bench Hard, GLUE,
 * perplexity) over local data, optionally in chain-of-thought form ({@code --cot}) with self-consistency votes
 * ({@code --self-consistency}), with the harness's results JSON, its markdown table and, on request, its
 * per-document samples.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluates a model on benchmarks as lm-evaluation-harness does: the same prompts, the same "
                + "log-likelihood scoring, the same metrics and results layout.",
            "Tasks: mmlu, mmlu_{stem,other,social_sciences,humanities}, mmlu_<subject>, mmlu_flan_cot_zeroshot[_...], "
                    + "ceval-valid, ceval-valid_<subject>, gpqa, gpqa_{main,diamond,extended}_{zeroshot,n_shot,"
                    + "cot_zeroshot,cot_n_shot}, bbh (= bbh_cot_fewshot), bbh_{fewshot,zeroshot,cot_fewshot,cot_zeroshot}"
                    + "[_<task>], glue (cola, mrpc, stsb), perplexity (<data-dir>/perplexity/*.txt), perplexity:FILE.",
            "Data layout: <data-dir>/mmlu/data/{dev,test}/<subject>_{dev,test}.csv (the MMLU release), "
                    + "<data-dir>/ceval/{dev,val}/<subject>_{dev,val}.csv (the C-Eval release), "
                    + "<data-dir>/glue/{CoLA,MRPC,STS-B}/dev.tsv (the GLUE download), "
                    + "<data-dir>/bbh/{bbh/<task>.json,cot-prompts/<task>.txt} (the BBH release), "
                    + "<data-dir>/gpqa/gpqa_{main,diamond,extended}.csv (the GPQA release; gpqa/dataset/ also works); "
                    + "groups run the subjects present."})
final class EvalCommand implements Callable<Integer> {
    /** The sampling temperature of --self-consistency when --temperature is not given. */
    static final double DEFAULT_VOTE_TEMPERATURE = 0.7;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--tasks", required = true, split = ",", paramLabel = "LIST",
            description = "Comma-separated tasks and groups, e.g. mmlu,ceval-valid_law.")
    List<String> tasks;

    @Option(names = "--data-dir", defaultValue = ".", paramLabel = "DIR",
            description = "Folder holding mmlu/, ceval/, bbh/, glue/, perplexity/ (default: the working folder).")
    Path dataDir;

    @Option(names = "--num-fewshot", paramLabel = "K",
            description = "Examples before each question, the first K of the dev split (default: 0).")
    Integer numFewshot;

    @Option(names = "--limit", paramLabel = "N", description = "Score only the first N documents of each task.")
    Integer limit;

    @Option(names = "--batch-size", defaultValue = "1", paramLabel = "B",
            description = "Questions whose prompts run as one batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
            description = "Seed of sampled generation (--temperature), recorded as the run's seeds; the first-n "
                    + "few-shot choice draws nothing (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Tokens the model reads at once; longer requests lose their oldest tokens (default: --ctx, "
                    + "else the model's context length).")
    Integer maxLength;

    @Option(names = "--add-bos", description = "Encode text with the tokenizer's BOS token (the harness's "
            + "add_bos_token=True; its default is without).")
    boolean addBos;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the results JSON here.")
    Path output;

    @Option(names = "--log-samples", description = "Also write samples_<task>.jsonl (each document's prompt, "
            + "scores and metrics) next to --output.")
    boolean logSamples;

    @Option(names = "--max-gen-toks", defaultValue = "256", paramLabel = "N",
            description = "Most tokens generated per answer by generative tasks (bbh, gpqa cot, --cot; the harness "
                    + "allows 256, and 1024 for bbh_cot_fewshot and gpqa cot_n_shot; default: ${DEFAULT-VALUE}).")
    int maxGenTokens;

    @Option(names = {"--self-consistency", "--repeats"}, defaultValue = "1", paramLabel = "N",
            description = "Answers sampled per question of a generative task; each answer filter's most frequent "
                    + "answer is graded (self-consistency; default: ${DEFAULT-VALUE}, greedy). --repeats is an alias.")
    int selfConsistency;

    @Option(names = "--temperature", paramLabel = "T",
            description = "Sampling temperature of generative tasks, 0 for greedy (default: 0, or "
                    + DEFAULT_VOTE_TEMPERATURE + " with --self-consistency above 1).")
    Double temperature;

    @Option(names = "--cot", description = "Run each task in its chain-of-thought form: mmlu -> mmlu_flan_cot_zeroshot, "
            + "gpqa_*_zeroshot -> gpqa_*_cot_zeroshot, gpqa_*_n_shot -> gpqa_*_cot_n_shot, bbh_fewshot -> "
            + "bbh_cot_fewshot, bbh_zeroshot -> bbh_cot_zeroshot; an error for tasks without one (ceval, glue, "
            + "perplexity).")
    boolean cot;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw a bar chart of the scores (acc, "
            + "acc_norm, mcc, f1, correlations; with their standard errors) as a PNG.")
    Path plot;

    @Override
    public Integer call() throws IOException {
        if (logSamples && output == null) {
            throw new IllegalArgumentException("--log-samples needs --output (the samples go next to it)");
        }
        for (Path p : new Path[] {output, plot}) {
            Path parent = p == null ? null : p.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new NoSuchFileException(parent.toString(), null, "the folder of " + (p == output ? "--output"
                        : "--plot") + " does not exist");
            }
        }
        double sampling = temperature != null ? temperature : selfConsistency > 1 ? DEFAULT_VOTE_TEMPERATURE : 0;
        Evaluator.Options options = new Evaluator.Options(numFewshot, limit, batchSize, logSamples, maxGenTokens,
                selfConsistency, sampling, seed);
        List<TaskNode> nodes = TaskRegistry.resolve(tasks, dataDir, cot);
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        EvalResults results;
        String modelName;
        try (LoadedModel loaded = model.open(); WorkerPool pool = new WorkerPool(model.threadCount())) {
            modelName = loaded.source().toString();
            if (loaded.tokenizer().isEmpty()) {
                throw new IllegalArgumentException(loaded.source() + " has no tokenizer, so its text cannot be scored");
            }
            Decoder decoder = new Decoder(loaded.config(), loaded.weights(), pool, model.repack(loaded));
            try (LogLikelihood scorer = new LogLikelihood(decoder, loaded.tokenizer().get(), model.cacheDType(),
                    scoringLength(loaded), addBos, prefillChunk());
                    TextGeneration generation = new TextGeneration(decoder, loaded.tokenizer().get(),
                            model.cacheDType(), scoringLength(loaded), addBos, prefillChunk());
                    EvalProgress progress = new EvalProgress(err, ProgressReport.stderrIsTerminal())) {
                results = new Evaluator(scorer, generation, options, progress).run(nodes);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> tree = ResultsJson.tree(results, runConfig(modelName), modelName);
        tree.put("total_evaluation_time_seconds", String.format(Locale.ROOT, "%.3f", seconds));
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "jllm (model=%s), gen_kwargs: (None), limit: %s, num_fewshot: %s, batch_size: %d%n",
                modelName, limit == null ? "None" : limit + ".0", numFewshot == null ? "None" : numFewshot, batchSize);
        out.print(ResultsTable.render(tree, "results"));
        String groups = ResultsTable.render(tree, "groups");
        if (!groups.isEmpty()) {
            out.println();
            out.print(groups);
        }
        out.flush();
        if (plot != null && !ResultsChart.write(tree, plot)) {
            err.println("jllm: note: no task reported a score to plot (perplexities are not drawn)");
            err.flush();
        }
        if (output != null) {
            StringWriter json = new StringWriter();
            ResultsJson.write(tree, json);
            writeText(output, json + "\n");
            if (logSamples) {
                for (TaskResult t : results.tasks().values()) {
                    StringBuilder lines = new StringBuilder();
                    for (Map<String, Object> s : t.samples()) {
                        lines.append(ResultsJson.line(s)).append('\n');
                    }
                    Path folder = output.toAbsolutePath().getParent();
                    writeText(folder.resolve("samples_" + t.task().name().replace(':', '_').replace('/', '_')
                            + ".jsonl"), lines.toString());
                }
            }
        }
        return 0;
    }

    private int prefillChunk() {
        if (model.prefillChunk < 1) {
            throw new IllegalArgumentException("--prefill-chunk must be positive, got " + model.prefillChunk);
        }
        return model.prefillChunk;
    }

    private int scoringLength(LoadedModel loaded) {
        int max = loaded.config().contextLength();
        int n = maxLength != null ? maxLength : model.context != null ? model.context : max;
        if (n < 2 || n > max) {
            throw new IllegalArgumentException((maxLength != null ? "--max-length" : "--ctx") + " must be in 2.." + max
                    + " (the model's context length), got " + n);
        }
        return n;
    }

    private Map<String, Object> runConfig(String modelName) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model", "jllm");
        c.put("model_args", "model=" + modelName + (addBos ? ",add_bos_token=True" : ""));
        c.put("batch_size", batchSize);
        c.put("batch_sizes", List.of());
        c.put("device", "cpu");
        c.put("use_cache", null);
        c.put("limit", limit == null ? null : (Object) (double) limit);
        c.put("bootstrap_iters", 0);
        c.put("gen_kwargs", selfConsistency > 1 || (temperature != null && temperature > 0)
                ? "temperature=" + (temperature != null ? temperature : DEFAULT_VOTE_TEMPERATURE) + ",do_sample=True"
                : null);
        c.put("random_seed", seed);
        c.put("numpy_seed", seed);
        c.put("torch_seed", seed);
        c.put("fewshot_seed", seed);
        return c;
    }

    private static void writeText(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(target, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    /**
     * Progress over the run's requests on stderr: a redrawn bar with the elapsed time and ETA on a terminal, else a
     * line at each further tenth with the ETA ({@code eval: 30% (120/400 requests), ETA 0:42}).
     */
    static final class EvalProgress implements Evaluator.Progress, AutoCloseable {
        private final PrintWriter lines;
        private final boolean terminal;
        private final long started = System.nanoTime();
        private ProgressBar bar;
        private long total;
        private long done;
        private int printedTenths;

        EvalProgress(PrintWriter lines, boolean terminal) {
            this.lines = lines;
            this.terminal = terminal;
        }

        @Override
        public void start(long requests) {
            total = requests;
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName("eval").setStyle(ProgressBarStyle.ASCII)
                        .setInitialMax(Math.max(1, requests)).setUnit(" requests", 1)
                        .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true))).build();
            }
        }

        @Override
        public void advance(long requests) {
            done += requests;
            if (bar != null) {
                bar.stepTo(done);
                return;
            }
            int tenths = total == 0 ? 10 : (int) Math.floor(10.0 * done / total);
            if (tenths > printedTenths && tenths < 10) {
                printedTenths = tenths;
                double elapsed = (System.nanoTime() - started) / 1e9;
                long eta = Math.round(elapsed * (total - done) / done);
                lines.printf(Locale.ROOT, "eval: %d%% (%d/%d requests), ETA %d:%02d%n", tenths * 10, done, total,
                        eta / 60, eta % 60);
                lines.flush();
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            } else if (total > 0 && done >= total) {
                lines.printf(Locale.ROOT, "eval: 100%% (%d requests) in %.1f s%n", total,
                        (System.nanoTime() - started) / 1e9);
                lines.flush();
            }
        }
    }
}
