package dev.jllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.eval.data.EvalDataException;
import dev.jllm.eval.metrics.BinaryClassification;
import dev.jllm.eval.metrics.Correlation;
import dev.jllm.eval.report.ResultsJson;
import dev.jllm.eval.run.EvalResults;
import dev.jllm.eval.run.Evaluator;
import dev.jllm.eval.scoring.EvalModels;
import dev.jllm.eval.scoring.LogLikelihood;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GLUE: the metrics against values worked out by hand, the prompts of the fixture rows (GLUE's own dev TSVs as HF
 * ships them) written out, and a run whose corpus metrics are recomputed here from its logged predictions with
 * formulas of this test's own.
 */
class GlueTest {
    static final Path DATA = SharedFixtures.resolve("eval");

    @TempDir
    Path tmp;

    @Test
    void metricsEqualHandComputedValues() {
        // TP=3, FP=1, FN=2, TN=4
        int[] gold = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
        int[] pred = {1, 1, 1, 0, 0, 1, 0, 0, 0, 0};
        assertEquals(6.0 / 9, BinaryClassification.f1(gold, pred), 1e-15);
        assertEquals((3.0 * 4 - 1 * 2) / Math.sqrt(4.0 * 5 * 5 * 6), BinaryClassification.mcc(gold, pred), 1e-15);
        assertEquals(0, BinaryClassification.mcc(gold, new int[10]));
        double[] x = {1, 2, 3, 4, 5};
        double[] y = {2, 4, 5, 4, 5};
        // Sxy = 6, Sxx = 10, Syy = 6
        assertEquals(6 / Math.sqrt(60), Correlation.pearson(x, y), 1e-15);
        // ranks of y with ties averaged: 1, 2.5, 4.5, 2.5, 4.5; Sxy = 7, Sxx = 10, Syy = 9
        assertEquals(7 / Math.sqrt(90), Correlation.spearman(x, y), 1e-15);
        // without ties Spearman is 1 - 6·Σd² / (n(n²-1))
        double[] z = {3, 1, 4, 1.5, 9, 2.6};
        double[] w = {2, 7, 1, 8, 2.8, 1.8};
        double[] rz = {4, 1, 5, 2, 6, 3};
        double[] rw = {3, 5, 1, 6, 4, 2};
        double d2 = 0;
        for (int i = 0; i < 6; i++) {
            d2 += (rz[i] - rw[i]) * (rz[i] - rw[i]);
        }
        assertEquals(1 - 6 * d2 / (6 * 35), Correlation.spearman(z, w), 1e-12);
    }

    @Test
    void promptsAreTheHarnesssMrpcPromptAndJllmsStsbPrompt() throws Exception {
        List<TaskNode> nodes = TaskRegistry.resolve(List.of("glue"), DATA);
        assertEquals(List.of("mrpc", "stsb"), nodes.stream().map(TaskNode::name).toList());
        GlueTask mrpc = (GlueTask) nodes.get(0);
        assertEquals(6, mrpc.size());
        assertEquals("Sentence 1: He said the foodservice pie business doesn 't fit the company 's long-term growth "
                + "strategy .\nSentence 2: \" The foodservice pie business does not fit our long-term growth strategy "
                + ".\nQuestion: Do both sentences mean the same thing?\nAnswer:", mrpc.docs().getFirst().text());
        assertEquals(1, mrpc.docs().getFirst().label());
        GlueTask stsb = (GlueTask) nodes.get(1);
        assertEquals(9, stsb.size());
        assertEquals("Sentence 1: A man with a hard hat is dancing.\nSentence 2: A man wearing a hard hat is dancing.\n"
                + "Question: On a scale of 0 to 5, how similar are the two sentences?\nAnswer:",
                stsb.docs().getFirst().text());
        assertEquals(5.0, stsb.docs().getFirst().score());
        assertEquals(List.of(" 0", " 1", " 2", " 3", " 4", " 5"), stsb.continuations());
    }

    @Test
    void colaAndBadRowsFromFilesWrittenHere() throws Exception {
        Path cola = Files.createDirectories(tmp.resolve("glue/CoLA"));
        Files.writeString(cola.resolve("dev.tsv"), "gj04\t1\t\tThe sailors rode the breeze clear of the rocks.\n"
                + "gj04\t0\t*\tThe more we study verbs, the crazier they get get.\n");
        GlueTask t = (GlueTask) TaskRegistry.resolve(List.of("cola"), tmp).getFirst();
        assertEquals("The more we study verbs, the crazier they get get.\nQuestion: Does this sentence make sense?\n"
                + "Answer:", t.docs().get(1).text());
        assertEquals(List.of("mcc"), t.metrics());
        Files.writeString(cola.resolve("dev.tsv"), "gj04\t2\t\tA sentence.\n");
        EvalDataException e = assertThrows(EvalDataException.class, () -> TaskRegistry.resolve(List.of("cola"), tmp));
        assertTrue(e.getMessage().contains("dev.tsv:1: the label \"2\" is not one of 0..1 or unacceptable, "
                + "acceptable"), e.getMessage());
        Path sts = Files.createDirectories(tmp.resolve("glue/STS-B"));
        Files.writeString(sts.resolve("dev.tsv"), "sentence1\tsentence2\tscore\na\tb\t7\n");
        e = assertThrows(EvalDataException.class, () -> TaskRegistry.resolve(List.of("stsb"), tmp));
        assertTrue(e.getMessage().contains("dev.tsv:2: the score \"7\" is not a number from 0 to 5"), e.getMessage());
        e = assertThrows(EvalDataException.class, () -> TaskRegistry.resolve(List.of("mrpc"), tmp));
        assertTrue(e.getMessage().contains("is missing"), e.getMessage());
    }

    @Test
    void runMetricsEqualRecomputationFromSamples() throws Exception {
        try (LoadedModel model = LoadedModel.open(EvalModels.bundledF32(tmp)); WorkerPool pool = new WorkerPool(2)) {
            LogLikelihood scorer = new LogLikelihood(new Decoder(model.config(), model.weights(), pool),
                    model.tokenizer().orElseThrow(), DType.F32, 512, false);
            EvalResults r = new Evaluator(scorer, new Evaluator.Options(null, 5, 4, true), null)
                    .run(TaskRegistry.resolve(List.of("glue"), DATA));
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> mrpc = new java.util.ArrayList<>();
            r.tasks().get("mrpc").samples().forEach(s -> mrpc.add(json.valueToTree(s)));
            int tp = 0;
            int fp = 0;
            int fn = 0;
            int right = 0;
            for (JsonNode s : mrpc) {
                JsonNode resps = s.get("filtered_resps");
                int pred = resps.get(1).get(0).asDouble() > resps.get(0).get(0).asDouble() ? 1 : 0;
                int gold = s.get("target").asInt();
                tp += pred == 1 && gold == 1 ? 1 : 0;
                fp += pred == 1 && gold == 0 ? 1 : 0;
                fn += pred == 0 && gold == 1 ? 1 : 0;
                right += pred == gold ? 1 : 0;
            }
            assertEquals(tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn), r.tasks().get("mrpc").metrics().get("f1").value(),
                    1e-12);
            assertEquals((double) right / mrpc.size(), r.tasks().get("mrpc").metrics().get("acc").value(), 1e-12);

            List<Map<String, Object>> sts = r.tasks().get("stsb").samples();
            double[] predicted = new double[sts.size()];
            double[] gold = new double[sts.size()];
            for (int i = 0; i < sts.size(); i++) {
                JsonNode s = json.valueToTree(sts.get(i));
                double z = 0;
                double mean = 0;
                for (int k = 0; k < 6; k++) {
                    double p = Math.exp(s.get("filtered_resps").get(k).get(0).asDouble());
                    z += p;
                    mean += k * p;
                }
                predicted[i] = mean / z;
                gold[i] = s.get("target").asDouble();
            }
            double mp = 0;
            double mg = 0;
            for (int i = 0; i < gold.length; i++) {
                mp += predicted[i] / gold.length;
                mg += gold[i] / gold.length;
            }
            double sxy = 0;
            double sxx = 0;
            double syy = 0;
            for (int i = 0; i < gold.length; i++) {
                sxy += (gold[i] - mg) * (predicted[i] - mp);
                sxx += (gold[i] - mg) * (gold[i] - mg);
                syy += (predicted[i] - mp) * (predicted[i] - mp);
            }
            assertEquals(sxy / Math.sqrt(sxx * syy), r.tasks().get("stsb").metrics().get("pearson").value(), 1e-9);
            Map<String, Object> tree = ResultsJson.tree(r, Map.of(), "kjv");
            assertEquals("N/A", ((Map<?, ?>) ((Map<?, ?>) tree.get("results")).get("mrpc")).get("f1_stderr,none"));
            assertThrows(IllegalArgumentException.class, () -> new Evaluator(scorer,
                    new Evaluator.Options(1, null, 1, false), null).run(TaskRegistry.resolve(List.of("mrpc"), DATA)));
        }
    }
}
