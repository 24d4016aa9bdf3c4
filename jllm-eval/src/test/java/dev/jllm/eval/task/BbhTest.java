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
import dev.jllm.eval.scoring.EvalModels;
import dev.jllm.eval.scoring.MajorityVote;
import dev.jllm.eval.scoring.TextGeneration;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BIG-Bench Hard over the release's files in the shared fixtures: the answer filter and the vote on hand-written
 * texts, the prompt of a fixture question written out, greedy generation against a loop written here (a full
 * forward pass per token, argmax, decode), and a run whose exact_match is regraded from its logged generations.
 */
class BbhTest {
    static final Path DATA = SharedFixtures.resolve("eval");

    @TempDir
    static Path dir;

    @Test
    void answersAreFilteredAsTheHarnesssRegexFilters() {
        assertEquals("(B)", BbhTask.extract("Step one. So the answer is (B)."));
        assertEquals("False", BbhTask.extract("Z = False. So the answer is False.\nQ: next"));
        // greedy to the end of the line, as Python's re gives it
        assertEquals("first. Then the answer is second", BbhTask.extract("the answer is first. Then the answer is second."));
        // the pattern stops one character before the end of the line, period or not
        assertEquals("Tru", BbhTask.extract("So the answer is True"));
        assertEquals(BbhTask.INVALID, BbhTask.extract("I do not know."));
        assertEquals("a", MajorityVote.of(List.of("a", "b", "b", "a", "c")));
        assertEquals("b", MajorityVote.of(List.of("a", "b", "b", "c")));
    }

    @Test
    void promptsAreTheReleasesCotPromptsFollowedByTheQuestion() throws Exception {
        TaskGroup all = (TaskGroup) TaskRegistry.resolve(List.of("bbh"), DATA).getFirst();
        assertEquals(List.of("bbh_cot_fewshot_boolean_expressions", "bbh_cot_fewshot_date_understanding",
                "bbh_cot_fewshot_logical_deduction_three_objects", "bbh_cot_fewshot_word_sorting"), all.memberNames());
        BbhTask t = (BbhTask) TaskRegistry.resolve(List.of("bbh_cot_fewshot_boolean_expressions"), DATA).getFirst();
        assertEquals(250, t.size());
        String prompt = t.prompt(t.docs().getFirst());
        assertTrue(prompt.startsWith("Evaluate the result of a random Boolean expression.\n\nQ: not ( ( not not True ) ) "
                + "is\nA: Let's think step by step.\nRemember that (i)"), prompt);
        assertTrue(prompt.endsWith("= not not False = True. So the answer is True.\n\nQ: not ( True ) and ( True ) is\n"
                + "A: Let's think step by step."), prompt);
        assertEquals("False", t.docs().getFirst().target());
        assertTrue(!prompt.contains("BENCHMARK DATA") && !prompt.contains("-----"), "canary lines are dropped");
        Path bad = Files.createDirectories(dir.resolve("bbh/bbh"));
        Files.createDirectories(dir.resolve("bbh/cot-prompts"));
        Files.writeString(bad.resolve("x.json"), "{\"examples\": [{\"input\": \"q\"}]}");
        Files.writeString(dir.resolve("bbh/cot-prompts/x.txt"), "-----\nDo x.\n");
        EvalDataException e = assertThrows(EvalDataException.class,
                () -> TaskRegistry.resolve(List.of("bbh_cot_fewshot_x"), dir));
        assertTrue(e.getMessage().contains("x.json: example 0 lacks a text \"input\" or \"target\""), e.getMessage());
    }

    @Test
    void theOtherFormsBuildTheHarnesssPrompts() throws Exception {
        BbhTask few = (BbhTask) TaskRegistry.resolve(List.of("bbh_fewshot_boolean_expressions"), DATA).getFirst();
        BbhTask.BbhDoc doc = few.docs().getFirst();
        // the harness's fewshot samples: each worked example's question and its short answer
        assertEquals("Evaluate the result of a random Boolean expression.\n\n"
                + "Q: not ( ( not not True ) ) is\nA: False\n\n"
                + "Q: True and False and not True and True is\nA: False\n\n"
                + "Q: not not ( not ( False ) ) is\nA: True\n\n"
                + "Q: not ( True ) and ( True ) is\nA:", few.prompt(doc));
        assertEquals(3, few.shots(null));
        assertEquals("Evaluate the result of a random Boolean expression.\n\nQ: not ( ( not not True ) ) is\nA: False"
                + "\n\nQ: not ( True ) and ( True ) is\nA:", few.prompts(1, 1).getFirst());
        BbhTask zero = (BbhTask) TaskRegistry.resolve(List.of("bbh_zeroshot_boolean_expressions"), DATA).getFirst();
        assertEquals("Evaluate the result of a random Boolean expression.\n\nQ: not ( True ) and ( True ) is\nA:",
                zero.prompt(doc));
        assertThrows(IllegalArgumentException.class, () -> zero.shots(3));
        BbhTask cot = (BbhTask) TaskRegistry.resolve(List.of("bbh_cot_zeroshot_boolean_expressions"), DATA).getFirst();
        assertEquals("Evaluate the result of a random Boolean expression.\n\nQ: not ( True ) and ( True ) is\n"
                + "A: Let's think step by step.", cot.prompt(doc));
        assertEquals(List.of("</s>", "Q:", "<|im_end|>"), cot.until());
        assertEquals(List.of("</s>", "Q", "\n\n"), few.until());
        for (String group : List.of("bbh_fewshot", "bbh_zeroshot", "bbh_cot_zeroshot", "bbh_cot_fewshot")) {
            TaskGroup g = (TaskGroup) TaskRegistry.resolve(List.of(group), DATA).getFirst();
            assertEquals(List.of(group + "_boolean_expressions", group + "_date_understanding",
                    group + "_logical_deduction_three_objects", group + "_word_sorting"), g.memberNames());
        }
    }

    @Test
    void zeroShotFormsGradeStrictAndFlexibleAnswers() throws Exception {
        BbhTask zero = (BbhTask) TaskRegistry.resolve(List.of("bbh_zeroshot_boolean_expressions"), DATA).getFirst();
        List<dev.jllm.eval.scoring.AnswerFilter> f = zero.filters(0);
        assertEquals(List.of("strict-match", "flexible-extract"), zero.filterNames());
        // strict-match is the whole generation; exact match ignores case, a final period and commas but not spaces
        assertEquals(" False.", f.get(0).apply(" False."));
        assertEquals(0.0, zero.exactMatch().score(f.get(0).apply(" False."), "False"));
        assertEquals(1.0, zero.exactMatch().score(f.get(0).apply("false."), "False"));
        assertEquals("False", f.get(1).apply(" False, not True"));
        BbhTask cot = (BbhTask) TaskRegistry.resolve(List.of("bbh_cot_zeroshot_boolean_expressions"), DATA).getFirst();
        assertEquals("True", cot.filters(0).get(0).apply("not False is True. So the answer is True.\n"));
        assertEquals("True", cot.filters(0).get(1).apply("False at first, then True"), "the last match");
        // multiple choice: an (X) label, else the option's text
        BbhTask date = (BbhTask) TaskRegistry.resolve(List.of("bbh_zeroshot_date_understanding"), DATA).getFirst();
        assertEquals("(B)", date.filters(0).get(1).apply(" (B) 12/25/1937 is the day after"));
        assertEquals("(B)", date.filters(0).get(1).apply(" It is 12/25/1937, then 12/11/1937"));
        // word sorting: the question's words in the order of their last mention
        BbhTask words = (BbhTask) TaskRegistry.resolve(List.of("bbh_cot_zeroshot_word_sorting"), DATA).getFirst();
        assertEquals("syndrome therefrom", words.filters(0).get(1).apply("therefrom syndrome; sorted: syndrome therefrom"));
    }

    @Test
    void greedyGenerationAndARunGradedFromItsSamples() throws Exception {
        try (LoadedModel model = LoadedModel.open(EvalModels.bundledF32(dir)); WorkerPool pool = new WorkerPool(2)) {
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            Tokenizer tokenizer = model.tokenizer().orElseThrow();
            String prompt = "And God said, Let there be light: and";
            int[] ids = tokenizer.encode(prompt, false, false);
            int vocab = model.config().vocabSize();
            int[] seq = ids;
            for (int step = 0; step < 6; step++) {
                float[] logits = new float[vocab];
                try (KvCache cache = decoder.newCache(DType.F32, seq.length)) {
                    decoder.forward(seq, 0, seq.length, 0, cache, logits);
                }
                int best = 0;
                for (int i = 1; i < vocab; i++) {
                    best = logits[i] > logits[best] ? i : best;
                }
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = best;
            }
            String want = tokenizer.decode(Arrays.copyOfRange(seq, ids.length, seq.length), true);
            try (TextGeneration g = new TextGeneration(decoder, tokenizer, DType.F32, 512, false, 4)) {
                assertEquals(want, g.generate(prompt, List.of(), 6, 0, new SplittableRandom(1)));
                // later samples continue from the cached prompt over the positions the first one wrote
                assertEquals(List.of(want, want, want), g.generate(prompt, List.of(), 6, 0, new SplittableRandom(1), 3));
                String stop = want.substring(want.length() / 2, want.length() / 2 + 1);
                assertEquals(want.substring(0, want.indexOf(stop)), g.generate(prompt, List.of(stop), 6, 0,
                        new SplittableRandom(1)));

                List<TaskNode> nodes = TaskRegistry.resolve(List.of("bbh_cot_fewshot_word_sorting"), DATA);
                EvalResults r = new Evaluator(null, g, new Evaluator.Options(null, 1, 1, true, 10, 3, 0.9, 5), null)
                        .run(nodes);
                TaskResult t = r.tasks().get("bbh_cot_fewshot_word_sorting");
                double right = 0;
                for (Map<String, Object> s : t.samples()) {
                    List<?> generated = (List<?>) ((List<?>) s.get("resps")).getFirst();
                    assertEquals(3, generated.size());
                    List<String> answers = generated.stream().map(x -> BbhTask.extract((String) x)).toList();
                    String voted = MajorityVote.of(answers);
                    assertEquals(List.of(voted), s.get("filtered_resps"));
                    right += voted.equals(s.get("target")) ? 1 : 0;
                }
                assertEquals(right, t.metrics().get("exact_match").value(), 1e-12);
                assertThrows(IllegalArgumentException.class, () -> new Evaluator.Options(null, 1, 1, false, 8, 3, 0, 0));

                // a zero-shot form graded under both filters, each regraded here from the logged generations
                EvalResults z = new Evaluator(null, g, new Evaluator.Options(null, 2, 1, true, 8, 1, 0, 0), null)
                        .run(TaskRegistry.resolve(List.of("bbh_zeroshot_word_sorting"), DATA));
                TaskResult zt = z.tasks().get("bbh_zeroshot_word_sorting");
                BbhTask words = (BbhTask) zt.task();
                double strict = 0;
                double flexible = 0;
                for (int i = 0; i < 2; i++) {
                    String text = (String) ((List<?>) ((List<?>) zt.samples().get(i).get("resps")).getFirst()).getFirst();
                    assertEquals(g.generate(words.prompt(words.docs().get(i)), words.until(), 8, 0, null), text);
                    strict += words.exactMatch().score(text, words.docs().get(i).target());
                    flexible += words.exactMatch().score(words.filters(i).get(1).apply(text), words.docs().get(i).target());
                }
                assertEquals(strict / 2, zt.metrics().get("exact_match").value(), 1e-12);
                assertEquals(flexible / 2, zt.otherFilters().get("flexible-extract").get("exact_match").value(), 1e-12);
            }
        }
    }
}
