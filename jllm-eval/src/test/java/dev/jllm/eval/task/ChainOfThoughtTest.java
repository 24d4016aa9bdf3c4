package dev.jllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.eval.data.EvalDataException;
import dev.jllm.eval.scoring.AnswerFilter;
import dev.jllm.formats.io.SharedFixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code --cot}: the name each task family turns into, the refusal for tasks without a chain-of-thought form, and
 * the harness's {@code mmlu_flan_cot_zeroshot} prompt and filters over the shared MMLU fixture, written out by hand.
 */
class ChainOfThoughtTest {
    static final Path DATA = SharedFixtures.resolve("eval");

    @Test
    void namesTurnIntoTheirChainOfThoughtForms() {
        assertEquals("mmlu_flan_cot_zeroshot", ChainOfThought.of("mmlu"));
        assertEquals("mmlu_flan_cot_zeroshot_stem", ChainOfThought.of("mmlu_stem"));
        assertEquals("mmlu_flan_cot_zeroshot_anatomy", ChainOfThought.of("mmlu_anatomy"));
        assertEquals("mmlu_flan_cot_zeroshot_anatomy", ChainOfThought.of("mmlu_flan_cot_zeroshot_anatomy"));
        assertEquals("gpqa_main_cot_zeroshot", ChainOfThought.of("gpqa_main_zeroshot"));
        assertEquals("gpqa_diamond_cot_n_shot", ChainOfThought.of("gpqa_diamond_n_shot"));
        assertEquals("gpqa_diamond_cot_n_shot", ChainOfThought.of("gpqa_diamond_cot_n_shot"));
        assertEquals("gpqa", ChainOfThought.of("gpqa"));
        assertEquals("bbh_cot_fewshot", ChainOfThought.of("bbh_fewshot"));
        assertEquals("bbh_cot_zeroshot_navigate", ChainOfThought.of("bbh_zeroshot_navigate"));
        assertEquals("bbh", ChainOfThought.of("bbh"));
        assertEquals("astrology", ChainOfThought.of("astrology"), "an unknown name is left for resolution to refuse");
        for (String none : List.of("ceval-valid", "ceval-valid_law", "glue", "cola", "mrpc", "stsb", "perplexity",
                "perplexity:x.txt")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChainOfThought.of(none));
            assertTrue(e.getMessage().contains(none + " has no chain-of-thought form"), e.getMessage());
        }
    }

    @Test
    void mmluBecomesTheHarnesssFlanChainOfThoughtTask() throws Exception {
        List<TaskNode> nodes = TaskRegistry.resolve(List.of("mmlu_anatomy"), DATA, true);
        MmluCotTask t = (MmluCotTask) nodes.getFirst();
        assertEquals("mmlu_flan_cot_zeroshot_anatomy", t.name());
        assertEquals(14, t.size(), "the validation split");
        String description = "The following are multiple choice questions (with answers) about anatomy. Your response "
                + "should be concise, and you should end with \"The answer is (X)\", where X is the correct letter "
                + "choice.\n\n";
        String question = "Q: Which of the following terms describes the body's ability to maintain its normal state?\n"
                + "(A) Anabolism (B) Catabolism (C) Tolerance (D) Homeostasis\nA: Let's think step by step.";
        assertEquals(description + question, t.prompts(1, 0).getFirst());
        assertEquals("(D)", t.target(0));
        // python3: random.Random(1234).sample(range(5), 2) is [3, 0]: dev question 3 (answer C), then question 0
        String two = t.prompts(1, 2).getFirst();
        assertTrue(two.startsWith(description + "Q: In Angle's Class II Div 2 occlusion there is\n(A) excess overbite "
                + "of the upper lateral incisors. (B) negative overjet"), two);
        assertTrue(two.contains("incisors.\nA: Let's think step by step. (C)\n\nQ: "), two);
        assertTrue(two.endsWith("\n\n" + question), two);
        List<AnswerFilter> f = t.filters(0);
        assertEquals("(D)", f.get(0).apply("It keeps balance. The answer is (D).\n"));
        assertEquals("(D)", f.get(1).apply("that is homeostasis"));
        assertEquals(1.0, t.exactMatch().score("(d)", "(D)"));
        TaskGroup all = (TaskGroup) TaskRegistry.resolve(List.of("mmlu"), DATA, true).getFirst();
        assertEquals("mmlu_flan_cot_zeroshot", all.name());
        assertEquals(List.of("mmlu_flan_cot_zeroshot_abstract_algebra", "mmlu_flan_cot_zeroshot_anatomy",
                "mmlu_flan_cot_zeroshot_marketing"), all.allTasks().stream().map(EvalTask::name).sorted().toList());
        EvalDataException missing = assertThrows(EvalDataException.class,
                () -> TaskRegistry.resolve(List.of("mmlu_virology"), DATA, true));
        assertTrue(missing.getMessage().contains("virology_val.csv: is missing"), missing.getMessage());
        IllegalArgumentException glue = assertThrows(IllegalArgumentException.class,
                () -> TaskRegistry.resolve(List.of("cola"), DATA, true));
        assertTrue(glue.getMessage().startsWith("--cot: task cola has no chain-of-thought form"), glue.getMessage());
    }
}
