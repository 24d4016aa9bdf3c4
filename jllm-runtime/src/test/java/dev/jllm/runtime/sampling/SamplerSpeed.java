package dev.jllm.runtime.sampling;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Not a test: prints thread-CPU microseconds per {@link Sampler#sample} call at Qwen2's vocabulary size for
 * the usual settings, on two kinds of rows: peaked (a few tokens hold most of the mass, as at most positions
 * of a real model) and flat (the mass spread over tens of thousands of tokens, the worst case for top-p).
 * Run from the repository root after {@code mvn -o -q -pl jllm-runtime -am test-compile}:
 * <pre>
 * java --add-modules jdk.incubator.vector \
 *     -cp jllm-runtime/target/classes:jllm-runtime/target/test-classes \
 *     dev.jllm.runtime.sampling.SamplerSpeed [vocab] [iterations] [peaked|flat]
 * </pre>
 */
public final class SamplerSpeed {
    private SamplerSpeed() {
    }

    public static void main(String[] args) {
        int v = args.length > 0 ? Integer.parseInt(args[0]) : 151_936;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        Random r = new Random(1);
        boolean flat = args.length > 2 && args[2].equals("flat");
        float[][] rows = new float[8][v];
        for (float[] row : rows) {
            for (int i = 0; i < v; i++) {
                row[i] = (float) (r.nextGaussian() * 2.5);
            }
            for (int j = 0; j < 20; j++) { // a few strong candidates: 12 nats (peaked) or 4 (flat) above the body
                row[r.nextInt(v)] += (flat ? 4 : 12) + 3 * (float) r.nextGaussian();
            }
        }
        Map<String, SamplingParams> settings = new LinkedHashMap<>();
        settings.put("greedy", SamplingParams.greedy());
        settings.put("temperature 0.8 only", SamplingParams.builder().temperature(0.8f).build());
        settings.put("top-k 40", SamplingParams.builder().temperature(0.8f).topK(40).build());
        settings.put("top-p 0.9", SamplingParams.builder().temperature(0.8f).topP(0.9f).build());
        settings.put("top-p 0.99", SamplingParams.builder().temperature(0.8f).topP(0.99f).build());
        settings.put("min-p 0.05", SamplingParams.builder().temperature(0.8f).minP(0.05f).build());
        settings.put("llama.cpp defaults", SamplingParams.llamaCppDefaults());
        settings.put("defaults + penalties(64)", SamplingParams.llamaCppDefaults().toBuilder()
                .repetitionPenalty(1.1f).presencePenalty(0.3f).frequencyPenalty(0.2f).build());
        // thread CPU time, not wall time: on a shared machine the wall clock counts other processes' turns
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        Map<String, Double> best = new LinkedHashMap<>();
        long sink = 0;
        for (int round = 0; round < 5; round++) { // best of five rounds: the machine may be shared
            for (Map.Entry<String, SamplingParams> e : settings.entrySet()) {
                Sampler s = new Sampler(e.getValue(), v);
                for (int i = 0; i < 64; i++) {
                    s.accept(r.nextInt(v)); // a history for the penalties
                }
                long t0 = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < iterations; i++) {
                    int t = s.sample(rows[i & 7]);
                    s.accept(t);
                    sink += t;
                }
                double us = (cpu.getCurrentThreadCpuTime() - t0) / 1e3 / iterations;
                best.merge(e.getKey(), us, Math::min);
            }
        }
        for (Map.Entry<String, Double> e : best.entrySet()) {
            System.out.printf("%-26s %8.1f us/token%n", e.getKey(), e.getValue());
        }
        System.out.printf("(V=%d, %s rows, best of 5 rounds of %d calls, the first round warming the JIT; %d)%n",
                v, flat ? "flat" : "peaked", iterations, sink % 7);
    }
}
