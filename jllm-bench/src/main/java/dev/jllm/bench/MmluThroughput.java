package dev.jllm.bench;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.eval.scoring.ContinuationScore;
import dev.jllm.eval.scoring.LogLikelihood;
import dev.jllm.eval.scoring.TokenPair;
import dev.jllm.eval.task.ChoiceDoc;
import dev.jllm.eval.task.EvalTask;
import dev.jllm.eval.task.Mmlu;
import dev.jllm.eval.task.MultipleChoiceTask;
import dev.jllm.eval.task.TaskRegistry;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * MMLU few-shot scoring throughput, in questions per second, with and without shared-context reuse: the
 * {@link LogLikelihood} scorer that runs a question's prompt once into a KV cache and scores each option's tokens on
 * top of it, against one that runs every option's {@code prompt + option} as a full forward pass of its own (what a
 * harness without cache reuse does). Both score the same pre-tokenized requests (tokenization is not timed); a
 * warm-up pass of each comes first, then the rounds alternate between the two, and the median round counts.
 *
 * <p>Run from the repository root (the first line builds the reactor's jars without installing them):
 *
 * <pre>
 * mvn -B -q -o -pl jllm-bench -am package -DskipTests
 * java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp 'jllm-bench/target/jllm-bench.jar:jllm-bench/target/lib/*' dev.jllm.bench.MmluThroughput \
 *     --model qwen2.5-0.5b-q8_0.gguf --data-dir ~/eval-data --questions 50 --threads 2 \
 *     [--subjects abstract_algebra,anatomy] [--shots 5] [--rounds 3] [--batch-size 1] [--cache-type f16] \
 *     [--max-length 2048]
 * </pre>
 *
 * <p>{@code --subjects} defaults to every subject whose test file {@code --data-dir} holds; the first
 * {@code --questions} questions are taken subject by subject. {@code --batch-size} questions' prompts run as one
 * batched pass on the shared path ({@code jllm eval --batch-size}). The last line checks that both paths gave the
 * same log-likelihoods.
 */
public final class MmluThroughput {
    private MmluThroughput() {
    }

    /** Runs the measurement; see the class comment for the arguments. */
    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        Path modelPath = Path.of(required(opt, "--model"));
        Path dataDir = Path.of(required(opt, "--data-dir"));
        int questions = Integer.parseInt(opt.getOrDefault("--questions", "50"));
        int shots = Integer.parseInt(opt.getOrDefault("--shots", "5"));
        int threads = Integer.parseInt(opt.getOrDefault("--threads", "2"));
        int rounds = Integer.parseInt(opt.getOrDefault("--rounds", "3"));
        int batchSize = Integer.parseInt(opt.getOrDefault("--batch-size", "1"));
        DType cacheType = DType.valueOf(opt.getOrDefault("--cache-type", "f16").toUpperCase(Locale.ROOT));
        if (questions < 1 || rounds < 1 || batchSize < 1 || threads < 1) {
            throw new IllegalArgumentException("--questions, --rounds, --batch-size and --threads must be positive");
        }

        List<MultipleChoiceTask> tasks = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (opt.containsKey("--subjects")) {
            for (String s : opt.get("--subjects").split(",")) {
                names.add(Mmlu.GROUP + "_" + s.strip());
            }
        } else {
            names.add(Mmlu.GROUP);
        }
        TaskRegistry.resolve(names, dataDir).forEach(n -> {
            for (EvalTask t : TaskRegistry.tasks(n)) {
                tasks.add((MultipleChoiceTask) t);
            }
        });
        List<String> contexts = new ArrayList<>();
        List<List<String>> continuations = new ArrayList<>();
        List<Integer> answers = new ArrayList<>();
        Map<String, Integer> perSubject = new LinkedHashMap<>();
        for (MultipleChoiceTask t : tasks) {
            for (ChoiceDoc d : t.docs()) {
                if (contexts.size() == questions) {
                    break;
                }
                contexts.add(t.context(d, shots));
                continuations.add(t.continuations(d));
                answers.add(d.answer());
                perSubject.merge(t.alias(), 1, Integer::sum);
            }
        }

        try (LoadedModel model = LoadedModel.open(modelPath); WorkerPool pool = new WorkerPool(threads)) {
            int maxLength = Math.min(model.config().contextLength(),
                    Integer.parseInt(opt.getOrDefault("--max-length", "2048")));
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            var tokenizer = model.tokenizer().orElseThrow(() -> new IllegalArgumentException(modelPath
                    + " has no tokenizer"));
            try (LogLikelihood shared = new LogLikelihood(decoder, tokenizer, cacheType, maxLength, false,
                    LogLikelihood.DEFAULT_CHUNK, true);
                    LogLikelihood full = new LogLikelihood(decoder, tokenizer, cacheType, maxLength, false,
                            LogLikelihood.DEFAULT_CHUNK, false)) {
                List<List<TokenPair>> requests = new ArrayList<>();
                long promptTokens = 0;
                long optionTokens = 0;
                for (int q = 0; q < contexts.size(); q++) {
                    List<TokenPair> pairs = new ArrayList<>();
                    for (String c : continuations.get(q)) {
                        TokenPair p = shared.encode(contexts.get(q), c);
                        pairs.add(p);
                        optionTokens += p.continuation().length;
                    }
                    promptTokens += pairs.getFirst().context().length;
                    requests.add(pairs);
                }
                int n = requests.size();
                System.out.printf(Locale.ROOT, "MMLU %d-shot, %d questions %s; %s, %d threads, cache %s, max length "
                        + "%d%n", shots, n, perSubject, modelPath.getFileName(), threads, cacheType, maxLength);
                System.out.printf(Locale.ROOT, "prompt tokens per question %.1f, option tokens per question %.2f%n",
                        (double) promptTokens / n, (double) optionTokens / n);

                List<List<ContinuationScore>> sharedScores = score(shared, requests, batchSize);
                List<List<ContinuationScore>> fullScores = score(full, requests, batchSize);
                double[] sharedRate = new double[rounds];
                double[] fullRate = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    score(shared, requests, batchSize);
                    long t1 = System.nanoTime();
                    score(full, requests, batchSize);
                    long t2 = System.nanoTime();
                    sharedRate[r] = n / ((t1 - t0) / 1e9);
                    fullRate[r] = n / ((t2 - t1) / 1e9);
                }
                double s = median(sharedRate);
                double f = median(fullRate);
                System.out.printf(Locale.ROOT, "shared context (batch %d): %.3f questions/s  (rounds %s)%n",
                        batchSize, s, rates(sharedRate));
                System.out.printf(Locale.ROOT, "full forward per option:   %.3f questions/s  (rounds %s)%n", f,
                        rates(fullRate));
                System.out.printf(Locale.ROOT, "speed-up %.2fx; acc %.3f (shared) %.3f (full); max |log-likelihood "
                        + "difference| %.2e%n", s / f, accuracy(sharedScores, answers), accuracy(fullScores, answers),
                        maxDifference(sharedScores, fullScores));
            }
        }
    }

    private static List<List<ContinuationScore>> score(LogLikelihood scorer, List<List<TokenPair>> requests,
            int batchSize) {
        List<List<ContinuationScore>> out = new ArrayList<>();
        for (int from = 0; from < requests.size(); from += batchSize) {
            out.addAll(scorer.scoreQuestions(requests.subList(from, Math.min(requests.size(), from + batchSize))));
        }
        return out;
    }

    private static double accuracy(List<List<ContinuationScore>> scores, List<Integer> answers) {
        int right = 0;
        for (int q = 0; q < scores.size(); q++) {
            int best = 0;
            for (int i = 1; i < scores.get(q).size(); i++) {
                best = scores.get(q).get(i).logLikelihood() > scores.get(q).get(best).logLikelihood() ? i : best;
            }
            right += best == answers.get(q) ? 1 : 0;
        }
        return (double) right / scores.size();
    }

    private static double maxDifference(List<List<ContinuationScore>> a, List<List<ContinuationScore>> b) {
        double max = 0;
        for (int q = 0; q < a.size(); q++) {
            for (int i = 0; i < a.get(q).size(); i++) {
                max = Math.max(max, Math.abs(a.get(q).get(i).logLikelihood() - b.get(q).get(i).logLikelihood()));
            }
        }
        return max;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String rates(double[] values) {
        List<String> out = new ArrayList<>();
        for (double v : values) {
            out.add(String.format(Locale.ROOT, "%.3f", v));
        }
        return String.join(" ", out);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value pairs, got '" + args[i] + "'; see the "
                        + "class comment of " + MmluThroughput.class.getName());
            }
            out.put(args[i], args[i + 1]);
        }
        return out;
    }

    private static String required(Map<String, String> opt, String name) {
        String v = opt.get(name);
        if (v == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return v;
    }
}
