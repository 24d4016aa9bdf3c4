package dev.jllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.eval.data.EvalDataException;
import dev.jllm.eval.run.EvalResults;
import dev.jllm.eval.run.Evaluator;
import dev.jllm.eval.run.TaskResult;
import dev.jllm.eval.scoring.EvalModels;
import dev.jllm.eval.scoring.LogLikelihood;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GLUE tasks beyond CoLA, MRPC and STS-B, over small dev files written here with the GLUE download's headers:
 * prompts against strings written out by hand from the harness's templates, labels against the HF {@code glue}
 * dataset's class order, a run's metrics against a recomputation from its logged log-likelihoods, bad files.
 */
class GlueDevFileTest {
    @TempDir
    Path tmp;

    static final String MNLI_HEADER = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse"
            + "\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label\n";

    static String mnliRow(int i, String premise, String hypothesis, String gold) {
        return i + "\t" + (100 + i) + "\t" + (100 + i) + "e\tfiction\t( x )\t( y )\t(ROOT x)\t(ROOT y)\t" + premise
                + "\t" + hypothesis + "\t" + gold + "\t" + gold + "\t" + gold + "\t" + gold + "\t" + gold + "\t" + gold
                + "\n";
    }

    /** Writes one small dev file per task under {@code dir/glue} (no CoLA, MRPC, STS-B). */
    static void writeGlue(Path dir) throws Exception {
        Path glue = dir.resolve("glue");
        write(glue.resolve("SST-2/dev.tsv"), "sentence\tlabel\n"
                + "it 's a charming and often affecting journey . \t1\n"
                + "unflinchingly bleak and desperate \t0\n"
                + "the acting , costumes , music , cinematography and sound are all astounding . \t1\n");
        write(glue.resolve("QQP/dev.tsv"), "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
                + "201359\t303345\t303346\tWhy are African-Americans so beautiful?\tWhy are hispanics so beautiful?\t0\n"
                + "263843\t69383\t380476\tI want to pursue PhD in Computer Science?\tHow can I get a PhD?\t0\n"
                + "172974\t266948\t175089\tIs there a way to learn Java fast?\tHow do I learn Java quickly?\t1\n"
                + "15329\t29298\t29299\tWhat is the best way to save money?\tHow can I save money?\t1\n");
        write(glue.resolve("MNLI/dev_matched.tsv"), MNLI_HEADER
                + mnliRow(0, "The new rights are nice enough", "Everyone really likes the newest benefits ",
                        "neutral")
                + mnliRow(1, "This site includes a list of all award winners.", "The Government Executive articles "
                        + "housed on the website are not able to be searched", "contradiction")
                + mnliRow(2, "uh i don't know i i have mixed emotions about him", "I like him for the most part.",
                        "entailment"));
        write(glue.resolve("MNLI/dev_mismatched.tsv"), MNLI_HEADER
                + mnliRow(0, "Your contribution helped make it possible.", "Your contributions were of no help",
                        "contradiction")
                + mnliRow(1, "The answer is yes.", "  The answer is yes.  ", "entailment"));
        write(glue.resolve("QNLI/dev.tsv"), "index\tquestion\tsentence\tlabel\n"
                + "0\tWhat came into force after the new constitution was herald?\tAs of that day, the new "
                + "constitution heralding the Second Republic came into force.\tentailment\n"
                + "1\tWhat is the first major city in the stream of the Rhine?\tThe most important tributaries in "
                + "this area are the Ill below of Strasbourg.\tnot_entailment\n");
        write(glue.resolve("RTE/dev.tsv"), "index\tsentence1\tsentence2\tlabel\n"
                + "0\tDana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at age 44.\t"
                + "Christopher Reeve had an accident.\tnot_entailment\n"
                + "1\tYet, we now are discovering that antibiotics are losing their effectiveness.\tBacteria is "
                + "winning the war against antibiotics.\tentailment\n");
        write(glue.resolve("WNLI/dev.tsv"), "index\tsentence1\tsentence2\tlabel\n"
                + "0\tThe drain is clogged with hair. It has to be cleaned.\tThe hair has to be cleaned.\t0\n"
                + "1\tJane knocked on Susan's door but she did not answer.\tSusan did not answer.\t1\n");
    }

    static void write(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    static GlueTask task(String name, Path dir) throws Exception {
        return (GlueTask) TaskRegistry.resolve(List.of(name), dir).getFirst();
    }

    @Test
    void promptsChoicesAndLabelsAreTheHarnesss() throws Exception {
        writeGlue(tmp);
        GlueTask sst2 = task("sst2", tmp);
        assertEquals("it 's a charming and often affecting journey . \nQuestion: Is this sentence positive or "
                + "negative?\nAnswer:", sst2.docs().getFirst().text());
        assertEquals(List.of(1, 0, 1), sst2.docs().stream().map(GlueTask.GlueDoc::label).toList());
        assertEquals(List.of(" negative", " positive"), sst2.continuations());
        assertEquals(List.of("acc"), sst2.metrics());

        GlueTask qqp = task("qqp", tmp);
        assertEquals("Question 1: Why are African-Americans so beautiful?\nQuestion 2: Why are hispanics so "
                + "beautiful?\nQuestion: Do both questions ask the same thing?\nAnswer:", qqp.docs().getFirst().text());
        assertEquals(List.of(0, 0, 1, 1), qqp.docs().stream().map(GlueTask.GlueDoc::label).toList());
        assertEquals(List.of(" no", " yes"), qqp.continuations());
        assertEquals(List.of("acc", "f1"), qqp.metrics());
        assertEquals(2.0, qqp.version());

        GlueTask mnli = task("mnli", tmp);
        // the hypothesis is stripped and gets a full stop when it has none
        assertEquals("The new rights are nice enough\nQuestion: Everyone really likes the newest benefits. True, "
                + "False or Neither?\nAnswer:", mnli.docs().get(0).text());
        assertEquals("uh i don't know i i have mixed emotions about him\nQuestion: I like him for the most part. "
                + "True, False or Neither?\nAnswer:", mnli.docs().get(2).text());
        assertEquals(List.of(1, 2, 0), mnli.docs().stream().map(GlueTask.GlueDoc::label).toList());
        assertEquals(List.of(" True", " Neither", " False"), mnli.continuations());
        GlueTask mismatched = task("mnli_mismatch", tmp);
        assertEquals("The answer is yes.\nQuestion: The answer is yes. True, False or Neither?\nAnswer:",
                mismatched.docs().get(1).text());
        assertEquals(List.of(2, 0), mismatched.docs().stream().map(GlueTask.GlueDoc::label).toList());
        assertEquals("validation_mismatched", mismatched.config(0).get("validation_split"));
        assertEquals("mnli", mismatched.config(0).get("dataset_name"));

        GlueTask qnli = task("qnli", tmp);
        assertEquals("What came into force after the new constitution was herald?\nAs of that day, the new "
                + "constitution heralding the Second Republic came into force.\nQuestion: Does this response answer "
                + "the question?\nAnswer:", qnli.docs().getFirst().text());
        assertEquals(List.of(0, 1), qnli.docs().stream().map(GlueTask.GlueDoc::label).toList());
        assertEquals(List.of(" yes", " no"), qnli.continuations());

        GlueTask rte = task("rte", tmp);
        assertEquals("Dana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at age 44.\n"
                + "Question: Christopher Reeve had an accident. True or False?\nAnswer:", rte.docs().getFirst().text());
        assertEquals(List.of(1, 0), rte.docs().stream().map(GlueTask.GlueDoc::label).toList());
        assertEquals(List.of(" True", " False"), rte.continuations());

        GlueTask wnli = task("wnli", tmp);
        assertEquals("Jane knocked on Susan's door but she did not answer.\nQuestion: Susan did not answer. True or "
                + "False?\nAnswer:", wnli.docs().get(1).text());
        assertEquals(List.of(0, 1), wnli.docs().stream().map(GlueTask.GlueDoc::label).toList());
        assertEquals(List.of(" False", " True"), wnli.continuations());
        assertEquals(2.0, wnli.version());

        List<String> names = TaskRegistry.resolve(List.of("glue"), tmp).stream().map(TaskNode::name).toList();
        assertEquals(List.of("sst2", "qqp", "mnli", "mnli_mismatch", "qnli", "rte", "wnli"), names);
    }

    @Test
    void badFilesNameTheFileAndLine() throws Exception {
        writeGlue(tmp);
        Path rte = tmp.resolve("glue/RTE/dev.tsv");
        write(rte, "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\ta\tb\tneutral\n");
        EvalDataException e = assertThrows(EvalDataException.class, () -> task("rte", tmp));
        assertTrue(e.getMessage().endsWith("dev.tsv:3: the label \"neutral\" is not one of 0..1 or entailment, "
                + "not_entailment"), e.getMessage());
        write(rte, "index\tsentence1\tsentence2\tlabel\n0\ta\tb\n");
        e = assertThrows(EvalDataException.class, () -> task("rte", tmp));
        assertTrue(e.getMessage().endsWith("dev.tsv:2: has 3 columns, the header 4"), e.getMessage());
        Path mnli = tmp.resolve("glue/MNLI/dev_matched.tsv");
        write(mnli, MNLI_HEADER.replace("\tgold_label", "") + "0\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t14\n");
        e = assertThrows(EvalDataException.class, () -> task("mnli", tmp));
        assertTrue(e.getMessage().contains("dev_matched.tsv:1: the header has no \"gold_label\" column"),
                e.getMessage());
        write(tmp.resolve("glue/SST-2/dev.tsv"), "sentence\tlabel\na fine film\t2\n");
        e = assertThrows(EvalDataException.class, () -> task("sst2", tmp));
        assertTrue(e.getMessage().contains("SST-2/dev.tsv:2: the label \"2\""), e.getMessage());
        Files.delete(tmp.resolve("glue/QQP/dev.tsv"));
        e = assertThrows(EvalDataException.class, () -> task("qqp", tmp));
        assertTrue(e.getMessage().contains("QQP/dev.tsv: is missing"), e.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> TaskRegistry.resolve(List.of("mnli_matched"), tmp));
        assertTrue(unknown.getMessage().contains("unknown task"), unknown.getMessage());
    }

    @Test
    void runMetricsEqualRecomputationFromLoggedScores() throws Exception {
        writeGlue(tmp);
        try (LoadedModel model = LoadedModel.open(EvalModels.bundledF32(tmp)); WorkerPool pool = new WorkerPool(2)) {
            LogLikelihood scorer = new LogLikelihood(new Decoder(model.config(), model.weights(), pool),
                    model.tokenizer().orElseThrow(), DType.F32, 512, false);
            EvalResults r = new Evaluator(scorer, new Evaluator.Options(null, null, 3, true), null)
                    .run(TaskRegistry.resolve(List.of("glue"), tmp));
            ObjectMapper json = new ObjectMapper();
            for (String name : List.of("sst2", "qqp", "mnli", "mnli_mismatch", "qnli", "rte", "wnli")) {
                TaskResult t = r.tasks().get(name);
                int n = t.samples().size();
                int[] gold = new int[n];
                int[] pred = new int[n];
                double right = 0;
                for (int i = 0; i < n; i++) {
                    JsonNode s = json.valueToTree(t.samples().get(i));
                    JsonNode resps = s.get("filtered_resps");
                    int best = 0;
                    for (int k = 1; k < resps.size(); k++) {
                        best = resps.get(k).get(0).asDouble() > resps.get(best).get(0).asDouble() ? k : best;
                    }
                    pred[i] = best;
                    gold[i] = s.get("target").asInt();
                    right += pred[i] == gold[i] ? 1 : 0;
                }
                double acc = right / n;
                assertEquals(acc, t.metrics().get("acc").value(), 1e-12, name);
                // the sample standard deviation of 0/1 values over √n
                double sd = Math.sqrt((right * (1 - acc) * (1 - acc) + (n - right) * acc * acc) / (n - 1));
                assertEquals(sd / Math.sqrt(n), t.metrics().get("acc").stderr(), 1e-12, name);
                if (name.equals("qqp")) {
                    int tp = 0;
                    int wrong = 0;
                    for (int i = 0; i < n; i++) {
                        tp += pred[i] == 1 && gold[i] == 1 ? 1 : 0;
                        wrong += pred[i] != gold[i] ? 1 : 0;
                    }
                    // F1 = 2TP / (2TP + FP + FN), and FP + FN are the wrong predictions
                    assertEquals(tp == 0 ? 0 : 2.0 * tp / (2 * tp + wrong), t.metrics().get("f1").value(), 1e-12);
                }
            }
            List<Integer> mnliGold = new ArrayList<>();
            r.tasks().get("mnli").samples().forEach(s -> mnliGold.add((Integer) s.get("target")));
            assertEquals(List.of(1, 2, 0), mnliGold);
            Map<String, Object> cfg = r.tasks().get("mnli").task().config(0);
            assertEquals(List.of("True", "Neither", "False"), cfg.get("doc_to_choice"));
        }
    }
}
