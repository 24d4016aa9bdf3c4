package dev.jllm.eval.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.eval.metrics.MetricValue;
import dev.jllm.eval.run.EvalResults;
import dev.jllm.eval.run.Evaluator;
import dev.jllm.eval.task.PerplexityTask;
import dev.jllm.eval.task.TaskRegistry;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rolling windows against windows written out by hand, and the perplexity task against a plain computation: every
 * token scored by its own forward pass over the context the harness's windows give it (the prefix token and all
 * before it in the first window; in a later window the token before the window, or for a short last window as many
 * tokens before it as fill the length).
 */
class PerplexityTest {
    @TempDir
    static Path dir;

    static List<int[][]> pairs(List<TokenPair> windows) {
        return windows.stream().map(w -> new int[][] {w.context(), w.continuation()}).toList();
    }

    @Test
    void windowsAreTheHarnesssRollingWindows() {
        int[] nine = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        List<int[][]> w = pairs(RollingWindows.of(nine, 99, 3));
        assertEquals(3, w.size());
        assertArrayEquals(new int[][] {{99}, {0, 1, 2}}, w.get(0));
        assertArrayEquals(new int[][] {{2}, {3, 4, 5}}, w.get(1));
        assertArrayEquals(new int[][] {{5}, {6, 7, 8}}, w.get(2));
        List<int[][]> short8 = pairs(RollingWindows.of(Arrays.copyOf(nine, 8), 99, 3));
        assertArrayEquals(new int[][] {{4, 5}, {6, 7}}, short8.get(2));
        List<int[][]> one = pairs(RollingWindows.of(new int[] {7, 8}, 99, 5));
        assertEquals(1, one.size());
        assertArrayEquals(new int[][] {{99}, {7, 8}}, one.getFirst());
    }

    @Test
    void perplexityEqualsTokenByTokenScoring() throws Exception {
        String text = "In the beginning God created the heaven and the earth.\n"
                + "And the earth was without form, and void; and darkness was upon the face of the deep.\n";
        Path file = dir.resolve("genesis.txt");
        Files.writeString(file, text);
        int maxLength = 12;
        try (LoadedModel model = LoadedModel.open(EvalModels.bundledF32(dir)); WorkerPool pool = new WorkerPool(2)) {
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            Tokenizer tokenizer = model.tokenizer().orElseThrow();
            LogLikelihood scorer = new LogLikelihood(decoder, tokenizer, DType.F32, maxLength, false);
            EvalResults r = new Evaluator(scorer, new Evaluator.Options(null, null, 1, true), null)
                    .run(TaskRegistry.resolve(List.of("perplexity:" + file), dir));

            int[] ids = tokenizer.encode(text, false, false);
            int n = ids.length;
            assertTrue(n > 2 * maxLength + 1 && n % maxLength != 0, "the text must end in a short window: " + n);
            int prefix = scorer.prefixToken();
            double ll = 0;
            int lastStart = (n - 1) / maxLength * maxLength;
            for (int i = 0; i < n; i++) {
                int[] context;
                if (i < maxLength) {
                    context = new int[i + 1];
                    context[0] = prefix;
                    System.arraycopy(ids, 0, context, 1, i);
                } else if (i < lastStart || n - lastStart == maxLength) {
                    context = Arrays.copyOfRange(ids, i / maxLength * maxLength - 1, i);
                } else {
                    context = Arrays.copyOfRange(ids, n - maxLength - 1, i);
                }
                ll += logProbability(decoder, context, ids[i]);
            }
            // 28 pieces: 27 words and the empty piece after the final newline, as re.split(r"\s+") gives
            int words = 28;
            int bytes = text.length();
            Map<String, MetricValue> m = r.tasks().get("perplexity").metrics();
            assertEquals(Math.exp(-ll / words), m.get("word_perplexity").value(), 1e-6 * Math.exp(-ll / words));
            assertEquals(Math.exp(-ll / bytes), m.get("byte_perplexity").value(), 1e-6);
            assertEquals(-ll / bytes / Math.log(2), m.get("bits_per_byte").value(), 1e-6);
            assertEquals(words, PerplexityTask.words(text));
            assertTrue(Double.isNaN(m.get("bits_per_byte").stderr()));
            List<Map<String, Object>> samples = r.tasks().get("perplexity").samples();
            assertEquals(ll, (Double) ((List<?>) samples.getFirst().get("word_perplexity")).getFirst(), 1e-4);
        }
    }

    /** log p(token | context) from one forward pass and a double log-softmax. */
    static double logProbability(Decoder decoder, int[] context, int token) {
        int vocab = decoder.config().vocabSize();
        float[] logits = new float[vocab];
        try (KvCache cache = decoder.newCache(DType.F32, context.length)) {
            decoder.forward(context, 0, context.length, 0, cache, logits);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (float v : logits) {
            z += Math.exp(v - max);
        }
        return logits[token] - max - Math.log(z);
    }
}
