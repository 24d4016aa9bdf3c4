package dev.jllm.runtime.embed;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.onnx.OnnxBertImport;
import dev.jllm.model.encoder.Pooling;
import dev.jllm.model.load.LoadedEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A benchmark, not a test: sentences per second of all-MiniLM-L6-v2 (mean pooling, L2 norm) through
 * jllm's {@link Embedder} and through ONNX Runtime on the same export, same ids, same thread count, at
 * batch sizes 1 and 32, alternating rounds in one JVM. Runs only when asked:
 * {@code mvn -pl jllm-runtime -am test -Dtest=MiniLmThroughputBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * -Djllm.bench=true}; prints a markdown table and asserts nothing about speed.
 */
class MiniLmThroughputBenchmark {
    private static final int THREADS = 2;
    private static final int ROUNDS = 5;

    @TempDir
    Path dir;

    @Test
    void sentencesPerSecond() throws Exception {
        assumeTrue(Boolean.getBoolean("jllm.bench"), "a benchmark: run with -Djllm.bench=true");
        Path onnx = MiniLmAgainstOnnxRuntimeTest.extract("all-minilm-l6-v2.onnx", dir);
        Path tokenizerJson = MiniLmAgainstOnnxRuntimeTest.extract("all-minilm-l6-v2-tokenizer.json", dir);
        Path folder = dir.resolve("minilm");
        OnnxBertImport.convert(onnx, tokenizerJson, folder);
        // the test's sentences that fit 128 tokens: a search workload of short texts
        List<String> texts = new ArrayList<>();
        try (LoadedEncoder model = LoadedEncoder.open(folder); WorkerPool pool = new WorkerPool(THREADS);
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(THREADS);
            options.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(onnx.toString(), options)) {
                Embedder probe = Embedder.of(model, pool, new Embedder.Options(Pooling.MEAN, true, 1, 512));
                List<int[]> ids = new ArrayList<>();
                for (String t : MiniLmAgainstOnnxRuntimeTest.sentences()) {
                    int[] x = probe.tokenize(t);
                    if (x.length <= 128 && !t.isBlank()) {
                        texts.add(t);
                        ids.add(x);
                    }
                }
                long tokens = ids.stream().mapToLong(x -> x.length).sum();
                System.out.printf(Locale.ROOT, "%d sentences, %.1f tokens on average, %d threads%n", texts.size(),
                        (double) tokens / texts.size(), THREADS);
                System.out.println("| batch | round | jllm sentences/s | ONNX Runtime sentences/s |");
                System.out.println("|---:|---:|---:|---:|");
                for (int batch : new int[] {1, 32}) {
                    Embedder embedder = Embedder.of(model, pool, new Embedder.Options(Pooling.MEAN, true, batch, 512));
                    for (int round = 0; round <= ROUNDS; round++) {
                        long t0 = System.nanoTime();
                        embedder.embedIds(ids);
                        double jllm = texts.size() / ((System.nanoTime() - t0) / 1e9);
                        t0 = System.nanoTime();
                        for (int from = 0; from < ids.size(); from += batch) {
                            runOrt(env, session, ids.subList(from, Math.min(ids.size(), from + batch)));
                        }
                        double ort = texts.size() / ((System.nanoTime() - t0) / 1e9);
                        if (round > 0) { // round 0 warms both up
                            System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.1f |%n", batch, round, jllm, ort);
                        }
                    }
                }
            }
        }
    }

    /** One padded batch through ONNX Runtime, then mean pooling over the mask and L2 normalisation. */
    private static float[][] runOrt(OrtEnvironment env, OrtSession session, List<int[]> batch) throws Exception {
        int longest = batch.stream().mapToInt(x -> x.length).max().orElse(0);
        long[][] ids = new long[batch.size()][longest];
        long[][] mask = new long[batch.size()][longest];
        long[][] types = new long[batch.size()][longest];
        for (int b = 0; b < batch.size(); b++) {
            for (int t = 0; t < batch.get(b).length; t++) {
                ids[b][t] = batch.get(b)[t];
                mask[b][t] = 1;
            }
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            for (String name : session.getInputNames()) {
                inputs.put(name, OnnxTensor.createTensor(env, switch (name) {
                    case "input_ids" -> ids;
                    case "attention_mask" -> mask;
                    default -> types;
                }));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                float[][][] states = (float[][][]) result.get(0).getValue();
                float[][] out = new float[batch.size()][];
                for (int b = 0; b < batch.size(); b++) {
                    int n = batch.get(b).length;
                    float[] mean = new float[states[b][0].length];
                    for (int t = 0; t < n; t++) {
                        for (int c = 0; c < mean.length; c++) {
                            mean[c] += states[b][t][c] / n;
                        }
                    }
                    double norm = 0;
                    for (float v : mean) {
                        norm += v * v;
                    }
                    for (int c = 0; c < mean.length; c++) {
                        mean[c] /= (float) Math.max(Math.sqrt(norm), 1e-12);
                    }
                    out[b] = mean;
                }
                return out;
            }
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }
}
