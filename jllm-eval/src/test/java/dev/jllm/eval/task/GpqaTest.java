package dev.jllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.eval.data.EvalDataException;
import dev.jllm.eval.run.EvalResults;
import dev.jllm.eval.run.Evaluator;
import dev.jllm.eval.run.TaskResult;
import dev.jllm.eval.scoring.AnswerFilter;
import dev.jllm.eval.scoring.EvalModels;
import dev.jllm.eval.scoring.LogLikelihood;
import dev.jllm.eval.scoring.TextGeneration;
import dev.jllm.eval.scoring.TokenPair;
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
 * GPQA over small files with the release's columns: the shuffled options against CPython running the harness's
 * {@code process_docs} passes on the same rows (values printed by python3 and written here), prompts written out by
 * hand from the harness's templates, the few-shot draws against CPython's {@code Random(1234).sample}, the CoT
 * answer filters, a missing column, and runs on the bundled model whose log-likelihoods equal a plain forward pass.
 */
class GpqaTest {
    /** The leading columns of the release's CSV header, in its order. */
    static final String HEADER = "Pre-Revision Question,Pre-Revision Correct Answer,Pre-Revision Incorrect Answer 1,"
            + "Pre-Revision Incorrect Answer 2,Pre-Revision Incorrect Answer 3,Pre-Revision Explanation,"
            + "Self-reported question-writing time (minutes),Question,Correct Answer,Incorrect Answer 1,"
            + "Incorrect Answer 2,Incorrect Answer 3,Explanation,Subdomain,Record ID,High-level domain";
    static final String ROWS = "p,p,p,p,p,e,5,What is 2+2?,4,3,5,22,Sum.,Arithmetic,rec0,Math\n"
            + "p,p,p,p,p,e,5, Which gas is inert? ,Neon [ref 2],Oxygen  gas,Air [title] mix,Hydrogen,Noble.,Chemistry,"
            + "recmwwQJnx7ll7bqL,Chemistry\n"
            + "p,p,p,p,p,e,5,Pick the prime.,7,8,9,,Seven.,Arithmetic,rec2,Math\n"
            + "p,p,p,p,p,e,5,\"Quoted, \"\"comma\"\" question\nwith newline\",\"a, b\",c,d,e,Letters.,Letters,rec3,"
            + "Language\n";

    @TempDir
    static Path dir;

    static Path data(String subset) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("data").resolve("gpqa"));
        Files.writeString(folder.resolve("gpqa_" + subset + ".csv"), HEADER + "\n" + ROWS);
        return dir.resolve("data");
    }

    static EvalTask task(String name) throws Exception {
        return (EvalTask) TaskRegistry.resolve(List.of(name), data("main")).getFirst();
    }

    static void assertDocs(List<GpqaDoc> docs, List<List<String>> choices, String answers) {
        assertEquals(choices, docs.stream().map(GpqaDoc::choices).toList());
        assertEquals(answers, String.join("", docs.stream().map(GpqaDoc::answerLabel).toList()));
    }

    @Test
    void optionsAreShuffledAsTheHarnessShufflesThem() throws Exception {
        // python3: random.Random(0) shuffling [inc1, inc2, inc3, correct] row after row, zero-shot preprocessing
        GpqaChoiceTask zero = (GpqaChoiceTask) task("gpqa_main_zeroshot");
        assertDocs(zero.docs(), List.of(List.of("22", "3", "5", "4"), List.of("Oxygen gas", "Air. mix", "Neon [ref 2]",
                "Hydrogen"), List.of("8", " ", "9", "7"), List.of("d", "c", "a, b", "e")), "(D)(C)(D)(C)");
        // the chain-of-thought preprocessing drops [...] after stripping, so "Neon " keeps its space
        GpqaCotTask cot = (GpqaCotTask) task("gpqa_main_cot_zeroshot");
        assertDocs(cot.docs(), List.of(List.of("22", "3", "5", "4"), List.of("Oxygen gas", "Air. mix", "Neon ",
                "Hydrogen"), List.of("8", " ", "9", "7"), List.of("d", "c", "a, b", "e")), "(D)(C)(D)(C)");
        // cot_n_shot leaves out the record that is one of its worked examples, then shuffles the rest
        GpqaCotTask cotN = (GpqaCotTask) task("gpqa_main_cot_n_shot");
        assertDocs(cotN.docs(), List.of(List.of("22", "3", "5", "4"), List.of("8", "9", "7", " "),
                List.of("c", "e", "d", "a, b")), "(D)(C)(D)");
        // n_shot: random.Random(42), the second pass is the few-shot pool, the third the evaluated documents
        GpqaChoiceTask n = (GpqaChoiceTask) task("gpqa_main_n_shot");
        assertDocs(n.pool(), List.of(List.of("5", "22", "4", "3"), List.of("Air [title] mix", "Neon [ref 2]",
                "Hydrogen", "Oxygen  gas"), List.of(" ", "9", "8", "7"), List.of("d", "a, b", "c", "e")),
                "(C)(B)(D)(B)");
        assertDocs(n.docs(), List.of(List.of("3", "22", "5", "4"), List.of("Hydrogen", "Neon [ref 2]", "Oxygen  gas",
                "Air [title] mix"), List.of(" ", "9", "7", "8"), List.of("a, b", "e", "d", "c")), "(D)(B)(C)(A)");
    }

    @Test
    void promptsAreTheHarnesssTemplates() throws Exception {
        GpqaChoiceTask zero = (GpqaChoiceTask) task("gpqa_main_zeroshot");
        assertEquals(List.of("What is the correct answer to this question: Which gas is inert? \nChoices:\n"
                + "(A) Oxygen gas\n(B) Air. mix\n(C) Neon [ref 2]\n(D) Hydrogen\nAnswer:"),
                zero.contexts(2, 0).subList(1, 2));
        assertEquals(List.of(" (A)", " (B)", " (C)", " (D)"), zero.continuations());
        // python3: rnd = random.Random(1234); rnd.sample(pool, 3) per document -> [3, 0, 2], [0, 2, 3], ...;
        // a drawn document equal to the evaluated one (same row, same shuffle) would be dropped; the first 2 are kept
        GpqaChoiceTask n = (GpqaChoiceTask) task("gpqa_main_n_shot");
        List<String> two = n.contexts(2, 2);
        String description = "Here are some example questions from experts. Answer the final question yourself, "
                + "following the format of the previous questions exactly.\n";
        assertEquals(description
                + "Question: Quoted, \"comma\" question\nwith newline\nChoices:\n(A) d\n(B) a, b\n(C) c\n(D) e\n"
                + "Answer: (B)\n\n"
                + "Question: What is 2+2?\nChoices:\n(A) 5\n(B) 22\n(C) 4\n(D) 3\nAnswer: (C)\n\n"
                + "Question: What is 2+2?\nChoices:\n(A) 3\n(B) 22\n(C) 5\n(D) 4\nAnswer:", two.get(0));
        assertEquals(description
                + "Question: What is 2+2?\nChoices:\n(A) 5\n(B) 22\n(C) 4\n(D) 3\nAnswer: (C)\n\n"
                + "Question: Pick the prime.\nChoices:\n(A)  \n(B) 9\n(C) 8\n(D) 7\nAnswer: (D)\n\n"
                + "Question:  Which gas is inert? \nChoices:\n(A) Hydrogen\n(B) Neon [ref 2]\n(C) Oxygen  gas\n"
                + "(D) Air [title] mix\nAnswer:", two.get(1));
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class, () -> n.contexts(1, 4));
        assertTrue(tooMany.getMessage().contains("--num-fewshot 4"), tooMany.getMessage());

        GpqaCotTask cot = (GpqaCotTask) task("gpqa_main_cot_zeroshot");
        assertEquals(0, cot.shots(null));
        assertEquals("What is the correct answer to this question: Which gas is inert? \nChoices:\n(A) Oxygen gas\n"
                + "(B) Air. mix\n(C) Neon \n(D) Hydrogen\nLet's think step by step: ", cot.prompts(2, 0).get(1));
        assertThrows(IllegalArgumentException.class, () -> cot.shots(1));

        GpqaCotTask cotN = (GpqaCotTask) task("gpqa_main_cot_n_shot");
        assertEquals(5, cotN.shots(null));
        String one = cotN.prompts(1, 1).getFirst();
        assertTrue(one.startsWith(description + "Question: In a given population, 1 out of every 400 people has a "
                + "cancer caused by a completely recessive allele, b."), one);
        assertTrue(one.contains("\nChoices:\n(A) 1/400\n(B) 19/400\n(C) 20/400\n(D) 38/400\nLet's think step by step: "
                + "The expected proportion"), one);
        assertTrue(one.endsWith("=2*0.05*0.95=38/400. The final answer is (D).\n\nQuestion: What is 2+2?\nChoices:\n"
                + "(A) 22\n(B) 3\n(C) 5\n(D) 4\nLet's think step by step:"), one);
        String five = cotN.prompts(1, 5).getFirst();
        assertEquals(6, five.split("\nChoices:\n", -1).length - 1, "five examples and the question");
        assertTrue(five.contains("The final answer is (C).\n\nQuestion: What is 2+2?"), five);
        assertEquals("(D)", cotN.target(0));
    }

    @Test
    void chainOfThoughtAnswersAreFilteredAsTheHarnesssFilters() throws Exception {
        GpqaCotTask cot = (GpqaCotTask) task("gpqa_main_cot_zeroshot");
        List<AnswerFilter> f = cot.filters(1); // options: Oxygen gas, Air. mix, "Neon ", Hydrogen
        assertEquals(List.of("strict-match", "flexible-extract"), cot.filterNames());
        // strict: after the first "The answer is ", up to one character before the line's end
        assertEquals("(C)", f.get(0).apply("Noble gases. The answer is (C).\nThe answer is (A)."));
        assertEquals("(C). Don", f.get(0).apply("The answer is (C). Done"));
        assertEquals(AnswerFilter.INVALID, f.get(0).apply("the answer is (C)."));
        // flexible: the last (X); else the last option text mentioned (case and punctuation ignored); else ": X"
        assertEquals("(C)", f.get(1).apply("Not (A), maybe (B)... no: (C) it is"));
        assertEquals("(D)", f.get(1).apply("Neon, surely? No -- HYDROGEN!"));
        assertEquals("(B)", f.get(1).apply("My final choice: B"));
        assertEquals(AnswerFilter.INVALID, f.get(1).apply("I cannot tell."));
        // graded ignoring case and punctuation, so "c" counts for (C)
        assertEquals(1.0, cot.exactMatch().score("c", "(C)"));
        assertEquals(0.0, cot.exactMatch().score("(D)", "(C)"));
        GpqaCotTask cotN = (GpqaCotTask) task("gpqa_main_cot_n_shot");
        assertEquals("(A)", cotN.filters(0).getFirst().apply("So. The final answer is (A).\n"));
    }

    @Test
    void badFilesAreNamed() throws Exception {
        Path bad = Files.createDirectories(dir.resolve("bad").resolve("gpqa").resolve("dataset"));
        Files.writeString(bad.resolve("gpqa_diamond.csv"), HEADER.replace("Incorrect Answer 2,", "") + "\n" + ROWS);
        EvalDataException e = assertThrows(EvalDataException.class,
                () -> TaskRegistry.resolve(List.of("gpqa_diamond_zeroshot"), dir.resolve("bad")));
        assertTrue(e.getMessage().contains("gpqa_diamond.csv:1: the header has no \"Incorrect Answer 2\" column"),
                e.getMessage());
        EvalDataException missing = assertThrows(EvalDataException.class,
                () -> TaskRegistry.resolve(List.of("gpqa_extended_n_shot"), dir.resolve("bad")));
        assertTrue(missing.getMessage().contains("gpqa_extended.csv: is missing"), missing.getMessage());
        // the tag runs every variant of the subsets present, found under gpqa/dataset/ as well
        Files.writeString(bad.resolve("gpqa_diamond.csv"), HEADER + "\n" + ROWS);
        List<TaskNode> all = TaskRegistry.resolve(List.of("gpqa"), dir.resolve("bad"));
        assertEquals(List.of("gpqa_diamond_zeroshot", "gpqa_diamond_n_shot", "gpqa_diamond_cot_zeroshot",
                "gpqa_diamond_cot_n_shot"), all.stream().map(TaskNode::name).toList());
        assertEquals(List.of("gpqa_diamond_cot_zeroshot", "gpqa_diamond_cot_n_shot"),
                TaskRegistry.resolve(List.of("gpqa"), dir.resolve("bad"), true).stream().map(TaskNode::name).toList());
    }

    @Test
    void runsScoreWhatAPlainForwardPassScores() throws Exception {
        Path root = data("main");
        try (LoadedModel model = LoadedModel.open(EvalModels.bundledF32(dir)); WorkerPool pool = new WorkerPool(2)) {
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            Tokenizer tokenizer = model.tokenizer().orElseThrow();
            try (LogLikelihood scorer = new LogLikelihood(decoder, tokenizer, DType.F32, 256, false);
                    TextGeneration g = new TextGeneration(decoder, tokenizer, DType.F32, 512, false, 64)) {
                List<TaskNode> nodes = TaskRegistry.resolve(List.of("gpqa_main_n_shot", "gpqa_main_cot_zeroshot"),
                        root);
                EvalResults r = new Evaluator(scorer, g, new Evaluator.Options(1, 3, 2, true, 6, 1, 0, 0), null)
                        .run(nodes.subList(0, 1));
                EvalResults rc = new Evaluator(scorer, g, new Evaluator.Options(null, 3, 2, true, 6, 1, 0, 0), null)
                        .run(nodes.subList(1, 2));
                TaskResult choice = r.tasks().get("gpqa_main_n_shot");
                GpqaChoiceTask t = (GpqaChoiceTask) nodes.getFirst();
                List<String> contexts = t.contexts(3, 1);
                double right = 0;
                for (int d = 0; d < 3; d++) {
                    List<?> logged = (List<?>) choice.samples().get(d).get("filtered_resps");
                    int best = 0;
                    double[] ll = new double[4];
                    for (int o = 0; o < 4; o++) {
                        ll[o] = plain(decoder, scorer.encode(contexts.get(d), t.continuations().get(o)));
                        assertEquals(ll[o], (Double) ((List<?>) logged.get(o)).getFirst(), 2e-3);
                        best = ll[o] > ll[best] ? o : best;
                    }
                    right += best == t.docs().get(d).answer() ? 1 : 0;
                }
                assertEquals(right / 3, choice.metrics().get("acc").value(), 1e-12);
                assertEquals(1, choice.shots());

                TaskResult cot = rc.tasks().get("gpqa_main_cot_zeroshot");
                GpqaCotTask c = (GpqaCotTask) nodes.get(1);
                double strict = 0;
                double flexible = 0;
                for (int d = 0; d < 3; d++) {
                    Map<String, Object> s = cot.samples().get(d);
                    String text = (String) ((List<?>) ((List<?>) s.get("resps")).getFirst()).getFirst();
                    assertEquals(g.generate(c.prompts(3, 0).get(d), List.of("</s>"), 6, 0, null), text);
                    strict += c.exactMatch().score(c.filters(d).get(0).apply(text), c.target(d));
                    flexible += c.exactMatch().score(c.filters(d).get(1).apply(text), c.target(d));
                }
                assertEquals(strict / 3, cot.metrics().get("exact_match").value(), 1e-12);
                assertEquals(flexible / 3, cot.otherFilters().get("flexible-extract").get("exact_match").value(),
                        1e-12);
                assertEquals("strict-match", c.filter());
            }
        }
    }

    /** The log-likelihood of a continuation from one forward pass over all its tokens, log-softmax in double. */
    static double plain(Decoder decoder, TokenPair p) {
        int[] all = new int[p.context().length + p.continuation().length];
        System.arraycopy(p.context(), 0, all, 0, p.context().length);
        System.arraycopy(p.continuation(), 0, all, p.context().length, p.continuation().length);
        int[] input = Arrays.copyOf(all, all.length - 1);
        int vocab = decoder.config().vocabSize();
        float[] logits = new float[input.length * vocab];
        try (KvCache cache = decoder.newCache(DType.F32, input.length)) {
            decoder.forward(input, 0, input.length, 0, cache, logits, true);
        }
        double sum = 0;
        int m = p.continuation().length;
        for (int t = 0; t < m; t++) {
            int row = (input.length - m + t) * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) {
                max = Math.max(max, logits[row + i]);
            }
            double z = 0;
            for (int i = 0; i < vocab; i++) {
                z += Math.exp(logits[row + i] - max);
            }
            sum += logits[row + p.continuation()[t]] - max - Math.log(z);
        }
        return sum;
    }
}
