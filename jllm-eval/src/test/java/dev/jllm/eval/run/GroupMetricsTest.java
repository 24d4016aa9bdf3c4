package dev.jllm.eval.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.eval.metrics.Aggregation;
import dev.jllm.eval.metrics.MetricValue;
import dev.jllm.eval.task.ChoiceDoc;
import dev.jllm.eval.task.EvalTask;
import dev.jllm.eval.task.MultipleChoiceTask;
import dev.jllm.eval.task.TaskGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Task and group aggregates against computations written here: a group's mean is the mean over all of its documents
 * together (what weighting by size means), and its standard error the pooled formula over standard errors computed
 * here from the documents.
 */
class GroupMetricsTest {

    static MultipleChoiceTask task(String name, int size) {
        List<ChoiceDoc> docs = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            docs.add(new ChoiceDoc(i, "q", List.of("a", "b", "c", "d"), 0, Map.of()));
        }
        return new MultipleChoiceTask(new MultipleChoiceTask.Spec(name, name, "", name, "test", "", "Answer:", "",
                List.of("acc"), 1.0), docs, docs);
    }

    static double sampleStderr(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x / v.length;
        }
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return Math.sqrt(ss / (v.length - 1) / v.length);
    }

    @Test
    void bernoulliMeanAndStderr() {
        double[] v = {1, 0, 0, 1, 1, 1, 0, 1};
        MetricValue m = Aggregation.mean(v);
        double p = 5.0 / 8;
        assertEquals(p, m.value(), 1e-15);
        // for 0/1 values the sample variance is p(1-p)·n/(n-1)
        assertEquals(Math.sqrt(p * (1 - p) * 8 / 7 / 8), m.stderr(), 1e-15);
        assertTrue(Double.isNaN(Aggregation.mean(new double[] {1}).stderr()));
    }

    @Test
    void groupsWeightTheirMembersBySize() {
        SplittableRandom rng = new SplittableRandom(5);
        int[] sizes = {3, 17, 40, 9};
        double[][] perDoc = new double[sizes.length][];
        Map<String, TaskResult> results = new LinkedHashMap<>();
        List<EvalTask> tasks = new ArrayList<>();
        for (int t = 0; t < sizes.length; t++) {
            perDoc[t] = new double[sizes[t]];
            for (int i = 0; i < sizes[t]; i++) {
                perDoc[t][i] = rng.nextDouble() < 0.3 + 0.1 * t ? 1 : 0;
            }
            MultipleChoiceTask task = task("t" + t, sizes[t]);
            tasks.add(task);
            results.put(task.name(), new TaskResult(task, 0, sizes[t], sizes[t],
                    Map.of("acc", Aggregation.mean(perDoc[t])), List.of()));
        }
        TaskGroup first = new TaskGroup("g1", "g1", List.of(), tasks.subList(0, 2), List.of("acc"), 1);
        TaskGroup second = new TaskGroup("g2", "g2", List.of(), tasks.subList(2, 4), List.of("acc"), 1);
        TaskGroup top = new TaskGroup("top", "top", List.of(first, second), List.of(), List.of("acc"), 1);
        EvalResults r = new EvalResults(List.of(top), results);

        double flat = 0;
        int n = 0;
        for (double[] docs : perDoc) {
            for (double x : docs) {
                flat += x;
                n++;
            }
        }
        assertEquals(flat / n, r.groupMetrics(top).get("acc").value(), 1e-12);
        assertEquals(n, r.groupMetrics(top).get("acc").samples());
        double g1 = 0;
        for (int t = 0; t < 2; t++) {
            for (double x : perDoc[t]) {
                g1 += x;
            }
        }
        assertEquals(g1 / (sizes[0] + sizes[1]), r.groupMetrics(first).get("acc").value(), 1e-12);

        // pooled_sample_stderr over the members' own standard errors
        double pooled = 0;
        for (int t = 0; t < 2; t++) {
            double se = sampleStderr(perDoc[t]);
            pooled += (sizes[t] - 1) * se * se * sizes[t];
        }
        int n1 = sizes[0] + sizes[1];
        assertEquals(Math.sqrt(pooled / (n1 - 2) / n1), r.groupMetrics(first).get("acc").stderr(), 1e-12);
        assertEquals(List.of(top, first, second), r.groups());
    }
}
