package dev.jllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.eval.data.EvalDataException;
import dev.jllm.formats.io.SharedFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MMLU and C-Eval over the shared fixtures (files from the benchmarks' own releases): prompts against strings written
 * out here as the harness's templates produce them, the groups a data folder yields, and one clear error for each
 * kind of bad input.
 */
class TasksTest {
    static final Path DATA = SharedFixtures.resolve("eval");

    @TempDir
    Path tmp;

    static MultipleChoiceTask task(String name) throws Exception {
        return (MultipleChoiceTask) TaskRegistry.resolve(List.of(name), DATA).getFirst();
    }

    @Test
    void mmluPromptsAreTheHarnesssPrompts() throws Exception {
        MultipleChoiceTask t = task("mmlu_abstract_algebra");
        assertEquals(100, t.size());
        assertEquals(5, t.fewshotPool().size());
        ChoiceDoc doc = t.docs().getFirst();
        assertEquals("The following are multiple choice questions (with answers) about abstract algebra.\n\n"
                + "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\n"
                + "A. 0\nB. 4\nC. 2\nD. 6\nAnswer:", t.context(doc, 0));
        assertEquals("The following are multiple choice questions (with answers) about abstract algebra.\n\n"
                + "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n"
                + "Statement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H and K "
                + "are subgroups of G then HK is a subgroup of G.\nA. True, True\nB. False, False\nC. True, False\n"
                + "D. False, True\nAnswer: B\n\n"
                + "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\n"
                + "A. 0\nB. 4\nC. 2\nD. 6\nAnswer:", t.context(doc, 2));
        assertEquals(List.of(" A", " B", " C", " D"), t.continuations(doc));
        assertEquals(1, doc.answer());
        assertEquals("mmlu_abstract_algebra", t.name());
        assertEquals("abstract_algebra", t.alias());
    }

    @Test
    void cevalPromptsAreTheHarnesssChinesePrompts() throws Exception {
        MultipleChoiceTask t = task("ceval-valid_computer_network");
        assertEquals(19, t.size());
        ChoiceDoc doc = t.docs().getFirst();
        assertEquals("以下是中国关于计算机网络的单项选择题，请选出其中的正确答案。\n\n"
                + "下列设备属于资源子网的是____。\nA. 计算机软件\nB. 网桥\nC. 交换机\nD. 路由器\n答案： A\n\n"
                + "使用位填充方法，以01111110为位首flag，数据为011011111111111111110010，求问传送时要添加几个0____\n"
                + "A. 1\nB. 2\nC. 3\nD. 4\n答案：", t.context(doc, 1));
        assertEquals(2, doc.answer());
        assertEquals(List.of("acc", "acc_norm"), t.metrics());
    }

    @Test
    void questionsAreStrippedAsPythonStrips() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mmlu/data/test"));
        Files.createDirectories(tmp.resolve("mmlu/data/dev"));
        Files.writeString(dir.resolve("virology_test.csv"), "\"  What?\u00a0\n\",x,y,z,w,D\n");
        Files.writeString(tmp.resolve("mmlu/data/dev/virology_dev.csv"), "\"Why\",\"a,1\",\"b \"\"2\"\"\",c,d,A\r\n");
        MultipleChoiceTask t = (MultipleChoiceTask) TaskRegistry.resolve(List.of("mmlu_virology"), tmp).getFirst();
        assertEquals("The following are multiple choice questions (with answers) about virology.\n\n"
                + "Why\nA. a,1\nB. b \"2\"\nC. c\nD. d\nAnswer: A\n\nWhat?\nA. x\nB. y\nC. z\nD. w\nAnswer:",
                t.context(t.docs().getFirst(), 1));
        assertThrows(IllegalArgumentException.class, () -> t.context(t.docs().getFirst(), 2));
    }

    @Test
    void groupsRunTheSubjectsTheDataFolderHolds() throws Exception {
        TaskGroup mmlu = (TaskGroup) TaskRegistry.resolve(List.of("mmlu"), DATA).getFirst();
        assertEquals(List.of("mmlu_stem", "mmlu_other"), mmlu.memberNames());
        assertEquals(List.of("mmlu_abstract_algebra", "mmlu_anatomy"), mmlu.groups().get(0).memberNames());
        assertEquals(List.of("mmlu_marketing"), mmlu.groups().get(1).memberNames());
        assertEquals(List.of(100, 135, 234), mmlu.allTasks().stream().map(EvalTask::size).toList());
        TaskGroup ceval = (TaskGroup) TaskRegistry.resolve(List.of("ceval-valid"), DATA).getFirst();
        assertEquals(List.of("ceval-valid_computer_network", "ceval-valid_high_school_physics",
                "ceval-valid_chinese_language_and_literature"), ceval.memberNames());
        assertEquals(57, Mmlu.subjects().size());
        assertEquals(52, CEval.subjects().size());
        // the harness's mmlu groups: 19 stem, 13 other, 12 social sciences, 13 humanities subjects
        assertEquals(List.of(19L, 13L, 12L, 13L), Mmlu.CATEGORIES.stream()
                .map(c -> Mmlu.subjects().stream().filter(s -> Mmlu.category(s).equals(c)).count()).toList());
    }

    @Test
    void unknownTaskNamesListTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskRegistry.resolve(List.of("mmlu_astrology"), DATA));
        assertTrue(e.getMessage().contains("unknown task \"mmlu_astrology\""), e.getMessage());
        assertTrue(e.getMessage().contains("college_physics") && e.getMessage().contains("ceval-valid"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TaskRegistry.resolve(List.of("mmlu", "mmlu_anatomy"), DATA));
    }

    @Test
    void malformedFilesGiveOneErrorNamingFileAndLine() throws Exception {
        Path test = Files.createDirectories(tmp.resolve("mmlu/data/test"));
        Files.createDirectories(tmp.resolve("mmlu/data/dev"));
        Files.writeString(tmp.resolve("mmlu/data/dev/anatomy_dev.csv"), "q,a,b,c,d,A\n");
        String[][] cases = {
            {"q,a,b,c,d,A\n\"never closed,a,b,c,d,A\n", ":2: a quoted field is never closed"},
            {"q,a,b,c,d\n", ":1: the answer column is missing"},
            {"q,a,b,c,d,A\nq,a,b,c,d,E\n", ":2: the answer \"E\" is not one of A, B, C, D"},
            {"\"q\"x,a,b,c,d,A\n", ":1: text after the closing quote"},
            {"q,a,b,c,d,A,extra\n", ":1: has 7 fields"},
        };
        for (String[] c : cases) {
            Files.writeString(test.resolve("anatomy_test.csv"), c[0]);
            EvalDataException e = assertThrows(EvalDataException.class,
                    () -> TaskRegistry.resolve(List.of("mmlu_anatomy"), tmp));
            assertTrue(e.getMessage().contains("anatomy_test.csv" + c[1]), e.getMessage());
        }
        Path val = Files.createDirectories(tmp.resolve("ceval/val"));
        Files.createDirectories(tmp.resolve("ceval/dev"));
        Files.writeString(val.resolve("law_val.csv"), "id,question,A,B,C,D\n0,q,a,b,c,d\n");
        Files.writeString(tmp.resolve("ceval/dev/law_dev.csv"), "id,question,A,B,C,D,answer\n0,q,a,b,c,d,A\n");
        EvalDataException e = assertThrows(EvalDataException.class,
                () -> TaskRegistry.resolve(List.of("ceval-valid_law"), tmp));
        assertTrue(e.getMessage().contains("law_val.csv:1: the header has no \"answer\" column"), e.getMessage());
        e = assertThrows(EvalDataException.class, () -> TaskRegistry.resolve(List.of("ceval-valid_logic"), tmp));
        assertTrue(e.getMessage().contains("logic_val.csv: is missing"), e.getMessage());
        Files.write(test.resolve("anatomy_test.csv"), new byte[] {'q', ',', (byte) 0xff, '\n'});
        e = assertThrows(EvalDataException.class, () -> TaskRegistry.resolve(List.of("mmlu_anatomy"), tmp));
        assertTrue(e.getMessage().contains("is not UTF-8"), e.getMessage());
    }
}
